/**
 * The intake half of the pipeline: watcher events and scans become candidate paths, the
 * stability operator turns them into ready files, and ready files are recorded in the durable
 * queue (which skips identities already uploaded), a batch per transaction (group commit): the
 * files that became ready in one turn of the event loop, or up to BATCH_MAX files of a scan. The
 * dispatcher is woken after each batch that queued something.
 *
 *   @parcel/watcher ─┐                       ┌─ recent ─► stabilize ─► group commit ─┐
 *   startup scan ────┼─► filter / locate ─►──┤                                        ├─► files.enqueueMany ─► wake()
 *   rescan timer ────┘                       └─ quiet already ─► batch of the scan ───┘
 *
 * Scans feed files that are already quiet straight to the queue, so a backlog of a million old
 * files never sits in memory; only files still changing are tracked by the stability operator.
 *
 * Keeping each directory watched (retries, roots deleted or replaced) is directory-watches.ts.
 *
 * A reload (`applyConfig`) changes the watched directories live: each directory keeps its slot
 * (directory-changes.ts); a removed one is unwatched and whatever of it is still stabilizing or
 * being scanned is dropped at `record`, which checks every file against the current rules.
 *
 * A state store that refuses writes (SQLITE_FULL, IOERR, BUSY …) never stops intake and never
 * makes it hold files in memory: the scan stops, Health says `intake` is degraded, and a full
 * rescan runs again after a capped backoff; the first rescan that records everything clears it.
 */
import { lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Subject, type SchedulerAction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Config } from '../config/types.js';
import type { EnqueueInput, EnqueueOutcome, FileRecord } from '../state/types.js';
import type { Telemetry } from '../telemetry/events.js';
import type { Logger } from '../telemetry/logger.js';
import { planDirectories, type DirectorySlots } from './directory-changes.js';
import { FileFilter } from './file-filter.js';
import { scanDirectory, type ScanHit } from './scan.js';
import { stabilize, type Candidate, type ReadyFile } from './stabilize.js';
import { realStatProbe, type StatProbe } from './stat-probe.js';
import { stateRetryDelayMs } from '../sinks/retry.js';
import { ScanCoalescer, type ScanKind } from './scan-coalescer.js';
import type { Health } from '../telemetry/health.js';
import { parcelBackend, type WatcherBackend, type WatchEvent } from './watch-source.js';
import { DirectoryWatches, describeError as describe } from './directory-watches.js';
import { sameMtime } from '../state/identity.js';
import { realClock, type Clock } from '../clock/clock.js';
import { clockScheduler } from '../clock/rx-scheduler.js';
import { GroupCommit } from './group-commit.js';
import { BurstRescan, inotifyQueueSize } from './burst-rescan.js';

export interface IntakeFiles {
  /** Records a batch in one transaction; throws when the store refuses the write (nothing recorded). */
  enqueueMany(inputs: readonly EnqueueInput[], now: number): EnqueueOutcome[];
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
  /** Default: the real clock. Its time and timers drive the rescan, the retries and stabilize. */
  readonly clock?: Clock;
  /** The RxJS scheduler of stabilize and the rescan loop; default: one over `clock`. */
  readonly scheduler?: SchedulerLike;
  readonly watcher?: WatcherBackend;
  /** Seconds between attempts to watch a directory that failed. */
  readonly retryWatchSeconds?: number;
  /** Milliseconds between checks that each watched root is still the directory watched (0 = off). */
  readonly rootCheckMs?: number;
  /**
   * Whether newly queued files may already be in S3 (the state database was rebuilt after
   * corruption): the uploader then checks the object's checksum metadata before sending.
   */
  readonly verifyRemote?: () => boolean;
  readonly health?: Health;
  /**
   * One-shot mode (`upload-now` without a daemon): files a scan finds still changing are handed
   * here instead of being watched until stable, since nothing stays running to watch them.
   */
  readonly onRecent?: (file: ScanHit) => void;
  /** True when an incident marker's window holds this mtime: the file is queued as high. */
  readonly marked?: (mtimeMs: number) => boolean;
  /**
   * Watcher events in one burst after which the directories it touched are rescanned, in case
   * the kernel's queue overflowed (burst-rescan.ts). Default: a quarter of
   * fs.inotify.max_queued_events; 0 = never.
   */
  readonly burstRescanEvents?: number;
}

const DAY_MS = 86_400_000;
/**
 * Files per state transaction. One transaction per file cost ≈ 56 µs of CPU per row, a shared one
 * ≈ 10 µs (docs/PERFORMANCE.md); 512 rows keep one synchronous stretch near 5–10 ms.
 */
const BATCH_MAX = 512;
/** A scan writes what it found at least this often (ms), so a slow walk does not hold its finds. */
const SCAN_BATCH_MS = 100;
/** A burst of watcher events ends after this long without one. */
const BURST_QUIET_MS = 1000;

export class Intake {
  private filter: FileFilter;
  private slots: DirectorySlots;
  private upload: IntakeConfig['upload'];
  private readonly scheduler: SchedulerLike;
  private readonly candidates = new Subject<Candidate>();
  private readonly subs: Subscription[] = [];
  private readonly watches: DirectoryWatches;
  private readonly now: () => number;
  private readonly stableMs: number;
  private rescanTimer: Subscription | null = null;
  private closed = false;
  private readonly reportedNames = new Set<string>();
  /** Per watched directory: its scans, serialised and coalesced. */
  private readonly scanners = new Map<number, ScanCoalescer>();
  /** Failed state writes since the last scan that recorded everything; a retry rescan is pending while > 0. */
  private stateFailures = 0;
  private stateRetry: Subscription | null = null;
  /** Files the stability operator let through, written together at the end of the loop turn. */
  private readonly ready = new GroupCommit<ReadyFile>({ max: BATCH_MAX, write: (files) => void this.recordMany(files) });
  private readonly bursts: BurstRescan | null;

  constructor(private readonly o: IntakeOptions) {
    this.slots = o.config.logDirectories;
    this.upload = o.config.upload;
    this.filter = new FileFilter(this.slots);
    const clock = o.clock ?? realClock;
    this.now = () => clock.now();
    this.scheduler = o.scheduler ?? clockScheduler(clock);
    this.stableMs = o.config.upload.fileStableSeconds * 1000;
    this.watches = new DirectoryWatches({
      clock,
      watcher: o.watcher ?? parcelBackend,
      telemetry: o.telemetry,
      logger: o.logger,
      retryWatchSeconds: o.retryWatchSeconds ?? 60,
      rootCheckMs: o.rootCheckMs ?? 2000,
      pathAt: (i) => this.slots[i]?.path ?? null,
      slotCount: () => this.slots.length,
      onEvent: (e) => this.onEvent(e),
      rescan: (i) => this.scanDir('rescan', i, null),
    });
    const burst = o.burstRescanEvents ?? Math.floor(inotifyQueueSize() / 4);
    this.bursts =
      burst > 0
        ? new BurstRescan({
            threshold: burst, quietMs: BURST_QUIET_MS, now: this.now, scheduler: this.scheduler,
            rescan: (dirs, events) => {
              this.o.logger.info({ events, dirs: dirs.map((i) => this.slots[i]?.path).filter((p) => p !== undefined) }, 'a burst of watcher events may have overflowed the kernel queue (its notice is not passed on); rescanning');
              for (const i of dirs) if (this.slots[i]) void this.scanDir('rescan', i, null);
            },
          })
        : null;
  }

  /** Starts watching every directory, then runs the startup scan. Resolves when the scan is done. */
  async start(): Promise<void> {
    this.subs.push(
      this.candidates
        .pipe(stabilize({ stableMs: this.stableMs, probe: this.o.probe ?? realStatProbe, scheduler: this.scheduler }))
        .subscribe((ready) => this.ready.add(ready)),
    );
    await Promise.all(this.slots.map((_, i) => this.watches.watch(i)));
    this.watches.startRootCheck();
    await this.scanExisting();
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
      this.watches.unwatch(i);
      this.scanners.delete(i); // a scan of it still running ends at its next file (record drops them)
    }
    if (rescanChanged) this.armRescan();
    await Promise.all(plan.added.map((i) => this.watches.watch(i)));
    const notBefore = this.startupNotBefore();
    await Promise.all([...plan.added, ...plan.rescan].map((i) => this.scanDir('startup', i, notBefore)));
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

  /**
   * The startup scan: every tree, honouring scan_existing_files (enabled, max_age_days).
   * `always`: scan even when scan_existing_files is disabled (the one-shot scans by definition).
   */
  async scanExisting(always = false): Promise<void> {
    if (!this.upload.scanExistingFiles.enabled && !always) return;
    await this.scanAll('startup', this.startupNotBefore());
  }

  /** Scans every watched directory now (also used by `upload-now`), one directory at a time. */
  async scanAll(kind: 'startup' | 'rescan', notBeforeMs: number | null): Promise<void> {
    for (let i = 0; i < this.slots.length; i++) {
      if (this.closed) return;
      if (this.slots[i]) await this.scanDir(kind, i, notBeforeMs);
    }
  }

  /** A full scan of one watched directory; overlapping requests share one follow-up scan. */
  private scanDir(kind: ScanKind, dirIndex: number, notBeforeMs: number | null): Promise<void> {
    let s = this.scanners.get(dirIndex);
    if (s === undefined) {
      s = new ScanCoalescer((k, nb) => {
        const dir = this.slots[dirIndex];
        return !dir || this.closed ? Promise.resolve() : this.scan(k, dirIndex, dir.path, nb);
      });
      this.scanners.set(dirIndex, s);
    }
    return s.request(kind, notBeforeMs);
  }

  close(): void {
    if (this.closed) return;
    // Files already stable are recorded before the watchers go; the store is still open.
    this.ready.close();
    this.closed = true;
    this.rescanTimer?.unsubscribe();
    this.stateRetry?.unsubscribe();
    this.bursts?.close();
    this.watches.close();
    for (const s of this.subs) s.unsubscribe();
    this.candidates.complete();
  }

  private onEvent(e: WatchEvent): void {
    if (this.closed) return;
    const dir = this.slots[e.dirIndex];
    if (!dir) return;
    this.bursts?.note(e.dirIndex);
    if (e.type === 'overflow') {
      this.o.logger.warn({ dir: dir.path }, 'watcher reported an error (events may be lost); rescanning');
      void this.scanDir('rescan', e.dirIndex, null);
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
    const failuresBefore = this.stateFailures;
    // Quiet files found, written a batch at a time (enqueue skips an identity already uploaded
    // itself, in its one read of the row).
    let quiet: ScanHit[] = [];
    let quietSince = 0;
    const writeQuiet = (): void => {
      if (quiet.length === 0) return;
      const batch = quiet;
      quiet = [];
      queued += this.recordMany(batch);
    };
    try {
      for await (const hit of scanDirectory(this.filter, dirIndex, root, { notBeforeMs, onError, onUnsupportedName })) {
        if (this.closed) return;
        seen++;
        if (this.now() - hit.mtimeMs >= this.stableMs) {
          if (quiet.length === 0) quietSince = this.now();
          quiet.push(hit);
          if (quiet.length >= BATCH_MAX || this.now() - quietSince >= SCAN_BATCH_MS) writeQuiet();
        } else if (this.alreadyUploaded(hit)) {
          continue;
        } else if (this.o.onRecent) {
          this.o.onRecent(hit);
        } else {
          this.candidates.next(hit);
        }
        // The store refuses writes: stop here; the retry rescan finds the rest.
        if (this.stateFailures > failuresBefore) return;
      }
      if (this.closed) return;
      writeQuiet();
      if (this.stateFailures > failuresBefore) return;
    } catch (err) {
      this.stateFailed(err);
      return;
    }
    this.o.telemetry.emit({ type: 'scan.completed', kind, dir: root, seen, queued, ms: this.now() - started });
    if (kind !== 'new-directory' && this.stateFailures > 0 && this.stateFailures === failuresBefore) this.stateRecovered();
  }

  private alreadyUploaded(hit: ScanHit): boolean {
    const rec = this.o.files.getByPath(hit.path);
    return rec !== null && rec.status === 'uploaded' && rec.size === hit.size && sameMtime(rec.mtimeMs, hit.mtimeMs);
  }

  /** A state write failed: degraded, and one full rescan scheduled after a capped backoff. */
  private stateFailed(err: unknown): void {
    this.stateFailures++;
    this.o.health?.degrade('intake', `new files cannot be recorded in the state database (${describe(err)})`);
    if (this.stateRetry !== null || this.closed) return;
    this.stateRetry = this.scheduler.schedule(() => {
      this.stateRetry = null;
      void this.scanAll('rescan', null);
    }, stateRetryDelayMs(this.stateFailures));
  }

  private stateRecovered(): void {
    this.stateFailures = 0;
    this.o.health?.recover('intake');
  }

  /** Records ready files in one transaction; returns how many were queued. */
  private recordMany(files: readonly ReadyFile[]): number {
    if (this.closed) return 0;
    // Checked again against the current rules: a reload may have removed the directory or
    // changed its pattern or source while the file was stabilizing or being scanned.
    const inputs: EnqueueInput[] = [];
    for (const f of files) {
      const located = this.filter.accepts(f.dirIndex, f.path);
      if (located === null) continue;
      inputs.push({
        path: f.path, source: located.source, relPath: located.relPath, size: f.size, mtimeMs: f.mtimeMs,
        verifyRemote: this.o.verifyRemote?.() ?? false,
        priority: this.o.marked?.(f.mtimeMs) === true ? 0 : this.filter.priorityOf(f.dirIndex, f.path),
      });
    }
    if (inputs.length === 0) return 0;
    let outcomes: EnqueueOutcome[];
    try {
      outcomes = this.o.files.enqueueMany(inputs, this.now());
    } catch (err) {
      this.stateFailed(err);
      return 0;
    }
    let queued = 0;
    outcomes.forEach((outcome, k) => {
      if (outcome !== 'queued') return;
      const input = inputs[k]!;
      this.o.telemetry.emit({ type: 'file.queued', path: input.path, source: input.source, size: input.size });
      queued++;
    });
    if (queued > 0) this.o.onQueued();
    return queued;
  }
}
