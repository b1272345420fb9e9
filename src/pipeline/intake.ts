/**
 * The intake half of the pipeline: watcher events and scans become candidate paths, the
 * stability operator turns them into ready files, and ready files are recorded in the durable
 * queue (which skips identities already uploaded). The dispatcher is woken after each record.
 *
 *   @parcel/watcher ─┐                       ┌─ recent ─► stabilize ─┐
 *   startup scan ────┼─► filter / locate ─►──┤                        ├─► files.enqueue ─► wake()
 *   rescan timer ────┘                       └─ quiet already ───────┘
 *
 * Scans feed files that are already quiet straight to the queue, so a backlog of a million old
 * files never sits in memory; only files still changing are tracked by the stability operator.
 *
 * A reload (`applyConfig`) changes the watched directories live: each directory keeps its slot
 * (directory-changes.ts); a removed one is unwatched and whatever of it is still stabilizing or
 * being scanned is dropped at `record`, which checks every file against the current rules.
 */
import { mkdir, lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Subject, asyncScheduler, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Config } from '../config/types.js';
import { planDirectories, type DirectorySlots } from './directory-changes.js';
import type { EnqueueInput, EnqueueOutcome, FileRecord } from '../state/types.js';
import type { Telemetry } from '../telemetry/events.js';
import type { Logger } from '../telemetry/logger.js';
import { FileFilter } from './file-filter.js';
import { scanDirectory, type ScanHit } from './scan.js';
import { stabilize, type Candidate, type ReadyFile } from './stabilize.js';
import { realStatProbe, type StatProbe } from './stat-probe.js';
import { watchDirectory, parcelBackend, type WatcherBackend, type WatchEvent } from './watch-source.js';

export interface IntakeFiles {
  enqueue(input: EnqueueInput, now: number): EnqueueOutcome;
  getByPath(path: string): FileRecord | null;
}

export type IntakeConfig = Pick<Config, 'logDirectories'> & {
  upload: Pick<Config['upload'], 'fileStableSeconds' | 'scanExistingFiles' | 'rescanIntervalSeconds'>;
};

export interface IntakeOptions {
  readonly config: IntakeConfig;
  readonly files: IntakeFiles;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  /** Called after files were queued. */
  readonly onQueued: () => void;
  readonly probe?: StatProbe;
  readonly scheduler?: SchedulerLike;
  readonly watcher?: WatcherBackend;
  readonly now?: () => number;
  /** Seconds between attempts to watch a directory that failed. */
  readonly retryWatchSeconds?: number;
  /**
   * Whether newly queued files may already be in S3 (the state database was rebuilt after
   * corruption): the uploader then checks the object's checksum metadata before sending.
   */
  readonly verifyRemote?: () => boolean;
  /** True when an incident marker's window holds this mtime: the file is queued as high. */
  readonly marked?: (mtimeMs: number) => boolean;
}

const DAY_MS = 86_400_000;

export class Intake {
  private filter: FileFilter;
  private slots: DirectorySlots;
  private upload: IntakeConfig['upload'];
  private scheduler: SchedulerLike = asyncScheduler;
  private readonly candidates = new Subject<Candidate>();
  private readonly subs: Subscription[] = [];
  private readonly watchers = new Map<number, Subscription>();
  private readonly watching = new Set<number>();
  private readonly now: () => number;
  private readonly stableMs: number;
  private rescanTimer: Subscription | null = null;
  private closed = false;
  private readonly reportedNames = new Set<string>();
  private scans = Promise.resolve();

  constructor(private readonly o: IntakeOptions) {
    this.slots = o.config.logDirectories;
    this.upload = o.config.upload;
    this.filter = new FileFilter(this.slots);
    this.now = o.now ?? Date.now;
    this.stableMs = o.config.upload.fileStableSeconds * 1000;
  }

  /** Starts watching every directory, then runs the startup scan. Resolves when the scan is done. */
  async start(): Promise<void> {
    const scheduler = (this.scheduler = this.o.scheduler ?? asyncScheduler);
    this.subs.push(
      this.candidates
        .pipe(stabilize({ stableMs: this.stableMs, probe: this.o.probe ?? realStatProbe, scheduler }))
        .subscribe((ready) => this.record(ready)),
    );
    await Promise.all(this.slots.map((_, i) => this.watch(i)));
    if (this.upload.scanExistingFiles.enabled) await this.scanAll('startup', this.startupNotBefore());
    this.armRescan();
  }

  /**
   * A reload: watch added directories and scan them like at start-up, unwatch removed ones, apply
   * new patterns and recursion (scanning again what they may bring into scope), and the new
   * rescan interval and start-up scan bounds. Files already queued are not touched.
   */
  async applyConfig(config: IntakeConfig): Promise<void> {
    if (this.closed) return;
    const plan = planDirectories(this.slots, config.logDirectories);
    const rescanChanged = config.upload.rescanIntervalSeconds !== this.upload.rescanIntervalSeconds;
    this.slots = plan.slots;
    this.upload = config.upload;
    this.filter = new FileFilter(this.slots);
    for (const i of plan.removed) {
      this.watchers.get(i)?.unsubscribe();
      this.watchers.delete(i);
      this.watching.delete(i);
    }
    if (rescanChanged) this.armRescan();
    await Promise.all(plan.added.map((i) => this.watch(i)));
    const scanned = [...plan.added, ...plan.rescan];
    const notBefore = this.startupNotBefore();
    this.scans = this.scans.then(async () => {
      for (const i of scanned) {
        const dir = this.slots[i];
        if (dir && !this.closed) await this.scan('startup', i, dir.path, notBefore);
      }
    });
    await this.scans;
  }

  private startupNotBefore(): number | null {
    const scan = this.upload.scanExistingFiles;
    return scan.maxAgeDays > 0 ? this.now() - scan.maxAgeDays * DAY_MS : null;
  }

  private armRescan(): void {
    this.rescanTimer?.unsubscribe();
    this.rescanTimer = null;
    const every = this.upload.rescanIntervalSeconds;
    if (every <= 0 || this.closed) return;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the scheduler binds `this` to its action
    const intake = this;
    this.rescanTimer = this.scheduler.schedule(function (this: SchedulerAction<void>) {
      void intake.scanAll('rescan', null);
      this.schedule(undefined, every * 1000);
    }, every * 1000);
  }

  /** Scans every watched directory now (also used by `upload-now`). */
  scanAll(kind: 'startup' | 'rescan', notBeforeMs: number | null): Promise<void> {
    // Scans run one at a time: overlapping walks of the same trees would only duplicate work.
    this.scans = this.scans.then(async () => {
      for (let i = 0; i < this.slots.length; i++) {
        if (this.closed) return;
        const dir = this.slots[i];
        if (dir) await this.scan(kind, i, dir.path, notBeforeMs);
      }
    });
    return this.scans;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rescanTimer?.unsubscribe();
    for (const s of this.subs) s.unsubscribe();
    for (const s of this.watchers.values()) s.unsubscribe();
    this.candidates.complete();
  }

  private async watch(dirIndex: number): Promise<void> {
    const dir = this.slots[dirIndex];
    if (!dir || this.closed) return;
    try {
      await mkdir(dir.path, { recursive: true });
      const { events$, ready } = watchDirectory(dirIndex, dir.path, this.o.watcher ?? parcelBackend);
      this.watchers.set(dirIndex, events$.subscribe({ next: (e) => this.onEvent(e), error: () => undefined }));
      await ready;
      if (this.slots[dirIndex]?.path !== dir.path) return; // removed by a reload meanwhile
      this.watching.add(dirIndex);
    } catch (err) {
      this.o.telemetry.emit({ type: 'watch.error', dir: dir.path, message: describe(err) });
      const retry = (this.o.retryWatchSeconds ?? 60) * 1000;
      const t = setTimeout(() => {
        if (this.slots[dirIndex]?.path !== dir.path) return; // removed by a reload
        void this.watch(dirIndex).then(() => {
          if (this.watching.has(dirIndex)) void this.scan('rescan', dirIndex, dir.path, null);
        });
      }, retry);
      t.unref();
      this.subs.push({ unsubscribe: () => clearTimeout(t) } as Subscription);
    }
  }

  private onEvent(e: WatchEvent): void {
    if (this.closed) return;
    const dir = this.slots[e.dirIndex];
    if (!dir) return;
    if (e.type === 'overflow') {
      this.o.logger.warn({ dir: dir.path }, 'watcher reported an error (events may be lost); rescanning');
      void this.scan('rescan', e.dirIndex, dir.path, null);
      return;
    }
    if (e.type === 'delete') return; // the stability probe notices, and the dispatcher re-checks
    if (e.type === 'update') {
      const located = this.filter.accepts(e.dirIndex, e.path);
      if (located) this.candidates.next({ path: e.path, ...located });
      return;
    }
    // 'create': a file, or a directory created or moved in with files already inside (the
    // watcher reports only the directory itself, so walk it).
    void lstat(e.path).then(
      (st) => {
        if (this.closed) return;
        if (st.isDirectory()) {
          if (this.filter.descends(e.dirIndex, e.path)) void this.scan('new-directory', e.dirIndex, e.path, null);
          return;
        }
        const located = this.filter.accepts(e.dirIndex, e.path);
        if (located) this.candidates.next({ path: e.path, ...located });
      },
      () => {
        // Gone already, or a name that is not valid UTF-8: Node decoded its bytes to U+FFFD, a
        // path that does not exist. Walk the directory, which reads names as bytes and reports it.
        if (e.path.includes('\uFFFD') && !this.closed) void this.scan('rescan', e.dirIndex, dirname(e.path), null);
      },
    );
  }

  private async scan(kind: 'startup' | 'rescan' | 'new-directory', dirIndex: number, root: string, notBeforeMs: number | null): Promise<void> {
    const started = this.now();
    let seen = 0;
    let queued = 0;
    const onError = (path: string, err: unknown): void => {
      this.o.logger.warn({ dir: path }, `cannot read directory: ${describe(err)}`);
    };
    const onUnsupportedName = (path: string): void => {
      if (this.reportedNames.has(path)) return; // once per process, not at every rescan
      if (this.reportedNames.size < 10_000) this.reportedNames.add(path);
      this.o.logger.error({ path }, 'file name is not valid UTF-8: it cannot be uploaded; rename the file (S3 keys are UTF-8)');
    };
    for await (const hit of scanDirectory(this.filter, dirIndex, root, { notBeforeMs, onError, onUnsupportedName })) {
      if (this.closed) return;
      seen++;
      if (this.alreadyUploaded(hit)) continue;
      if (this.now() - hit.mtimeMs >= this.stableMs) {
        if (this.record(hit)) queued++;
      } else {
        this.candidates.next(hit);
      }
    }
    this.o.telemetry.emit({ type: 'scan.completed', kind, dir: root, seen, queued, ms: this.now() - started });
  }

  private alreadyUploaded(hit: ScanHit): boolean {
    const rec = this.o.files.getByPath(hit.path);
    return rec !== null && rec.status === 'uploaded' && rec.size === hit.size && sameMtime(rec.mtimeMs, hit.mtimeMs);
  }

  private record(f: ReadyFile): boolean {
    if (this.closed) return false;
    // Checked again against the current rules: a reload may have removed the directory or
    // changed its pattern or source while the file was stabilizing or being scanned.
    const located = this.filter.accepts(f.dirIndex, f.path);
    if (located === null) return false;
    const outcome = this.o.files.enqueue(
      {
        path: f.path, source: located.source, relPath: located.relPath, size: f.size, mtimeMs: f.mtimeMs,
        verifyRemote: this.o.verifyRemote?.() ?? false,
        priority: this.o.marked?.(f.mtimeMs) === true ? 0 : this.filter.priorityOf(f.dirIndex, f.path),
      },
      this.now(),
    );
    if (outcome !== 'queued') return false;
    this.o.telemetry.emit({ type: 'file.queued', path: f.path, source: located.source, size: f.size });
    this.o.onQueued();
    return true;
  }
}

function describe(err: unknown): string {
  const code = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
  const msg = err instanceof Error ? err.message : String(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}

/** Identities are compared at microsecond precision (the state store keeps integer microseconds). */
export function sameMtime(a: number, b: number): boolean {
  return Math.round(a * 1000) === Math.round(b * 1000);
}
