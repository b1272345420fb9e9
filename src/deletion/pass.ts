/**
 * One deletion pass: the policies in their fixed order, each feeding candidate rows from the
 * state store to the executor (which applies the safety layers to every single file):
 *
 *   1. after_upload  uploaded rows whose uploaded_at is keep_days old (0: every uploaded row)
 *   2. age_based     when due (daily at schedule_time, or forced by `cleanup`): uploaded files
 *                    with mtime older than max_age_days, oldest first; with include_not_uploaded
 *                    also queued ones (each audited)
 *   3. emergency     per filesystem holding watched directories: at warning (or under the
 *                    reserve) uploaded files oldest first until below warning with the reserve
 *                    free; still at critical, files not uploaded yet, oldest first, until below
 *                    critical with the reserve free or nothing eligible remains
 *
 * Usage is re-measured after every emergency deletion; the lower of measured and predicted usage
 * counts (a filesystem may free blocks late; a hard-linked file frees nothing), so a pass never
 * deletes more than needed, and the next timer tick looks again. A dry run predicts only.
 */
import type { Config } from '../config/types.js';
import type { DiskUsage } from '../disk/usage.js';
import type { Telemetry } from '../telemetry/events.js';
import type { CandidateKind, CandidateOrder, CandidateRow, DeletionRepo } from './deletion-repo.js';
import type { DeletionEntry, DeletionExecutor } from './executor.js';
import {
  DAY_MS, afterFreeing, afterUploadCutoff, ageCutoff, ageRunDue, lessUsed, pressure, relievedOfCritical, relievedOfWarning,
  type PolicyName, type Pressure, type UsageFigures,
} from './policies.js';
import { isBelow, isProtectedDir } from './safety.js';
import { UNRECORDED_BATCH, oldestUnrecorded, type UnrecordedFile } from './unrecorded.js';

export const AGE_LAST_RUN_KEY = 'deletion.age_based.last_run_at';
export const LAST_PASS_KEY = 'deletion.last_pass';
/** Entries a report keeps (counts stay exact beyond it). */
export const REPORT_ENTRIES = 10_000;
/** Rows examined between two yields to the event loop. */
const YIELD_EVERY = 100;

export type PassTrigger = 'start' | 'timer' | 'upload' | 'cleanup' | 'request';

export interface FilesystemReport {
  /** The first watched directory on this filesystem (what was measured). */
  readonly path: string;
  readonly dirs: readonly string[];
  readonly before: UsageFigures;
  readonly after: UsageFigures;
  readonly pressure: Pressure;
}

export interface PassReport {
  readonly trigger: PassTrigger;
  readonly dryRun: boolean;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly ageBasedRan: boolean;
  readonly deletedCount: number;
  readonly deletedBytes: number;
  readonly notUploadedCount: number;
  /** The first REPORT_ENTRIES deletions, in order. */
  readonly entries: readonly DeletionEntry[];
  readonly filesystems: readonly FilesystemReport[];
}

export interface PassDeps {
  readonly config: Pick<Config, 'deletion' | 'disk' | 'logDirectories'>;
  readonly repo: Pick<DeletionRepo, 'candidates' | 'getMeta' | 'setMeta' | 'hasPath'>;
  readonly executor: DeletionExecutor;
  readonly measure: (path: string) => Promise<DiskUsage>;
  readonly telemetry: Pick<Telemetry, 'emit'>;
  readonly now: () => number;
  /** True once the daemon is stopping: the pass ends after the file at hand. */
  readonly stopping?: () => boolean;
}

interface Group {
  readonly dirs: string[];
  readonly usage: DiskUsage;
  /** Bytes this pass deleted on this filesystem so far. */
  freed: number;
}

export interface PassRequest {
  readonly trigger: PassTrigger;
  /** Run age_based now even if it is not due (`cleanup`). */
  readonly forceAgeBased?: boolean;
  /**
   * For trigger 'upload': only rows uploaded at or after this are looked at by after_upload
   * (keep_days 0 deletes what was just uploaded; the timer's full sweep catches the rest).
   */
  readonly uploadedSince?: number;
}

export async function runDeletionPass(d: PassDeps, req: PassRequest): Promise<PassReport> {
  const { trigger } = req;
  const startedAt = d.now();
  const del = d.config.deletion;
  d.executor.beginPass();
  // Measured before anything is deleted: the report's "before", and the base of predictions.
  const groups = await groupByFilesystem(d);
  const tally = new Tally(groups);
  const sources = deletableSources(d.config.logDirectories);
  const run = (order: CandidateKind, policy: PolicyName, reason: (r: CandidateRow) => string, allowNotUploaded: boolean, until?: () => Promise<boolean>, within?: readonly string[]) =>
    sweep(d, tally, { ...order, sources }, policy, reason, allowNotUploaded, until, within);

  const k = del.afterUpload.keepDays;
  if (del.afterUpload.enabled && (trigger !== 'upload' || k === 0)) {
    const since = trigger === 'upload' && req.uploadedSince !== undefined ? { uploadedAtMin: req.uploadedSince } : {};
    await run({ kind: 'uploaded-before', uploadedAtMax: afterUploadCutoff(del.afterUpload, startedAt), ...since }, 'after_upload', (r) =>
      k === 0 ? 'uploaded (keep_days 0)' : `uploaded ${days(startedAt - (r.uploadedAt ?? startedAt))} days ago (keep_days ${k})`, false);
  }

  const age = del.ageBased;
  const lastRun = Number(d.repo.getMeta(AGE_LAST_RUN_KEY) ?? NaN);
  const ageDue = age.enabled && (req.forceAgeBased === true || ageRunDue(age.scheduleTime, Number.isFinite(lastRun) ? lastRun : null, startedAt));
  if (ageDue) {
    const cutoff = ageCutoff(age, startedAt);
    const why = (r: { mtimeMs: number }): string => `modified ${days(startedAt - r.mtimeMs)} days ago (max_age_days ${age.maxAgeDays})`;
    await run({ kind: 'oldest', status: 'uploaded', mtimeBelow: cutoff }, 'age_based', why, false);
    if (age.includeNotUploaded) {
      const notUploaded = (r: { mtimeMs: number }): string => `${why(r)}; not uploaded (include_not_uploaded)`;
      await run({ kind: 'oldest', status: 'queued', mtimeBelow: cutoff }, 'age_based', notUploaded, true);
      await sweepUnrecorded(d, tally, d.config.logDirectories.map((x) => x.path), cutoff, 'age_based', notUploaded);
    }
    if (!d.executor.dryRun) d.repo.setMeta(AGE_LAST_RUN_KEY, String(startedAt));
  }

  const filesystems: FilesystemReport[] = [];
  for (const g of groups) {
    const before = g.usage;
    // Re-measured (or predicted, in a dry run) after each emergency deletion.
    const remeasure = async (): Promise<UsageFigures> => {
      const predicted = afterFreeing(before, g.freed);
      if (d.executor.dryRun || g.freed === 0) return predicted;
      const measured = await d.measure(g.dirs[0] ?? '/').catch(() => predicted);
      return lessUsed(measured, predicted);
    };
    let current = await remeasure();
    const level = pressure(current, d.config.disk);
    if (del.emergency.enabled && level !== 'normal') {
      const pct = (u: UsageFigures): string => `${u.usedPercent.toFixed(1)}% used, ${gib(u.availableBytes)} GiB available`;
      const atStart = current;
      await run({ kind: 'oldest', status: 'uploaded', mtimeBelow: Infinity }, 'emergency', () => `disk ${level}: ${pct(atStart)}`, false, async () => {
        current = await remeasure();
        return relievedOfWarning(current, d.config.disk);
      }, g.dirs);
      if (pressure(current, d.config.disk) === 'critical') {
        const atCritical = current;
        const why = (): string => `disk critical after deleting every eligible uploaded file: ${pct(atCritical)}`;
        const relieved = async (): Promise<boolean> => {
          current = await remeasure();
          return relievedOfCritical(current, d.config.disk);
        };
        await run({ kind: 'oldest', status: 'queued', mtimeBelow: Infinity }, 'emergency', why, true, relieved, g.dirs);
        await sweepUnrecorded(d, tally, g.dirs, Infinity, 'emergency', why, relieved);
      }
    }
    const after = await remeasure();
    filesystems.push({ path: g.dirs[0] ?? before.measuredPath, dirs: g.dirs, before, after, pressure: pressure(after, d.config.disk) });
    if (!d.executor.dryRun) {
      d.telemetry.emit({ type: 'disk.usage', path: g.dirs[0] ?? before.measuredPath, usedPercent: after.usedPercent, availableBytes: after.availableBytes, totalBytes: before.totalBytes });
    }
  }

  const finishedAt = d.now();
  const report: PassReport = {
    trigger, dryRun: d.executor.dryRun, startedAt, finishedAt, ageBasedRan: ageDue,
    deletedCount: tally.count, deletedBytes: tally.bytes, notUploadedCount: tally.notUploaded, entries: tally.entries, filesystems,
  };
  if (!d.executor.dryRun) {
    d.repo.setMeta(LAST_PASS_KEY, JSON.stringify({ at: finishedAt, trigger, deleted: tally.count, bytes: tally.bytes, notUploaded: tally.notUploaded }));
    d.telemetry.emit({ type: 'deletion.pass', trigger, deleted: tally.count, bytes: tally.bytes, notUploaded: tally.notUploaded, ms: finishedAt - startedAt });
  }
  return report;
}

class Tally {
  count = 0;
  bytes = 0;
  notUploaded = 0;
  readonly entries: DeletionEntry[] = [];

  constructor(private readonly groups: readonly Group[]) {}

  add(e: DeletionEntry): void {
    this.count += 1;
    this.bytes += e.size;
    const g = this.groups.find((x) => x.dirs.some((dir) => isBelow(e.path, dir)));
    if (g !== undefined) g.freed += e.size;
    if (!e.uploaded) this.notUploaded += 1;
    if (this.entries.length < REPORT_ENTRIES) this.entries.push(e);
  }
}

/**
 * Feeds one policy's candidates to the executor. `until` (emergency) is asked before each
 * candidate and after each deletion; `within` limits candidates to one filesystem's directories.
 */
async function sweep(
  d: PassDeps, tally: Tally, order: CandidateOrder, policy: PolicyName, reason: (r: CandidateRow) => string,
  allowNotUploaded: boolean, until?: () => Promise<boolean>, within?: readonly string[],
): Promise<void> {
  if (until !== undefined && (await until())) return;
  let seen = 0;
  for (const row of d.repo.candidates(order)) {
    if (d.stopping?.() === true) return;
    if (++seen % YIELD_EVERY === 0) await new Promise<void>((r) => setImmediate(r));
    if (within !== undefined && !within.some((dir) => isBelow(row.path, dir))) continue;
    const attempt = d.executor.tryDelete(row, policy, reason(row), allowNotUploaded);
    if (!('deleted' in attempt)) continue;
    tally.add(attempt.deleted);
    if (until !== undefined && (await until())) return;
  }
}

/**
 * Files without a row (never queued), oldest first, a bounded batch per walk; walks again while
 * a full batch was deleted and `until` does not hold. A dry run deletes nothing, so one batch.
 */
async function sweepUnrecorded(
  d: PassDeps, tally: Tally, within: readonly string[], mtimeBelow: number, policy: PolicyName,
  reason: (f: UnrecordedFile) => string, until?: () => Promise<boolean>,
): Promise<void> {
  if (until !== undefined && (await until())) return;
  for (;;) {
    // Never walk a tree no file may be deleted from (a protected `/var`, allow_deletion: false).
    const walk = deletableDirs(d.config.logDirectories).map((x) => x.path).filter((p) => within.includes(p));
    const batch = await oldestUnrecorded(d.config.logDirectories, walk, (p) => d.repo.hasPath(p), mtimeBelow);
    let progressed = false;
    for (const f of batch) {
      if (d.stopping?.() === true) return;
      const attempt = d.executor.tryDeleteUnrecorded(f, policy, reason(f));
      if (!('deleted' in attempt)) continue;
      progressed = true;
      tally.add(attempt.deleted);
      if (until !== undefined && (await until())) return;
    }
    if (batch.length < UNRECORDED_BATCH || !progressed || d.executor.dryRun) return;
  }
}

/** Watched directories grouped by the filesystem that holds them (st_dev), in config order. */
async function groupByFilesystem(d: PassDeps): Promise<Group[]> {
  const groups = new Map<number, Group>();
  for (const dir of d.config.logDirectories) {
    // A directory that cannot be measured is left out of emergency deletion, never guessed at.
    const usage = await d.measure(dir.path).catch(() => null);
    if (usage === null) continue;
    const g = groups.get(usage.device);
    if (g === undefined) groups.set(usage.device, { dirs: [dir.path], usage, freed: 0 });
    else g.dirs.push(dir.path);
  }
  return [...groups.values()];
}

/** Directories the policies may delete from at all. */
function deletableDirs(dirs: Config['logDirectories']): Config['logDirectories'] {
  return dirs.filter((x) => x.allowDeletion && !isProtectedDir(x.path));
}

/** Sources with at least one directory the policies may delete from at all. */
export function deletableSources(dirs: Config['logDirectories']): string[] {
  return [...new Set(deletableDirs(dirs).map((x) => x.source))];
}

function days(ms: number): string {
  return (ms / DAY_MS).toFixed(1);
}

function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(2);
}
