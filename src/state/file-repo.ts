/**
 * The `files` table: one row per watched path, which is both the upload queue entry and the
 * processed-files registry entry (status tells which). Every method is one short transaction
 * and costs O(log n) (or O(batch)), never a scan of all rows.
 *
 *   enqueue ──► queued ──claimNext──► in_flight ──markUploaded──► uploaded
 *                 ▲   ◄─markFailed/release──┘  (changed meanwhile:    │
 *                 │                              back to queued)      │
 *                 └───────────── enqueue with a new (size, mtime) ────┘
 *
 * It does not decide policy (backoff, retention, what counts as vanished): callers pass times in.
 */
import type Database from 'better-sqlite3';
import { ErrorCodes, TvmError } from '../errors.js';
import { FairClaim, type ClaimOptions } from './fair-claim.js';
import { deleteInBatches, FILE_SQL, PAGE, toRecord, toRecordOrNull, type FileRow } from './file-sql.js';
import { sameIdentity } from './identity.js';
import { guarded } from './sqlite-errors.js';
import type { EnqueueInput, EnqueueOutcome, FileRecord } from './types.js';
import { rankOf, type PriorityRank } from '../priority/priority.js';

const NORMAL_RANK = rankOf('normal');

export type { ClaimOptions } from './fair-claim.js';

export interface UploadedInfo {
  readonly objectKey: string;
  readonly contentSha256: string;
  readonly uploadedAt: number;
  /** The identity that was uploaded (the file may have changed since it was claimed). */
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * How long a pruned row's tombstone is kept. A file still on disk after that is looked at once
 * more, and its old mtime makes the upload check S3 first (HEAD, source-sha256): nothing is
 * re-sent, it costs one compression and one request per file a year.
 */
export const TOMBSTONE_RETENTION_MS = 365 * 24 * 3600 * 1000;

export interface QueuedByPriority {
  readonly priority: PriorityRank;
  readonly files: number;
  readonly bytes: number;
}

export type MarkUploadedOutcome = 'uploaded' | 'requeued' | 'gone';

export interface FailureInfo {
  readonly error: string;
  readonly code: string;
  /** Epoch ms before which the row is not claimed again. See MAX_RETRY_HORIZON_MS. */
  readonly nextAttemptAt: number;
}

/** A registry row from outside the normal flow (legacy import). */
export interface UploadedImport {
  readonly path: string;
  readonly source: string;
  readonly relPath: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly uploadedAt: number;
  readonly objectKey: string | null;
}

export class FileRepo {
  private readonly s;
  private readonly fair: FairClaim;
  private readonly enqueueTx: (input: EnqueueInput, now: number) => EnqueueOutcome;
  private readonly enqueueManyTx: (inputs: readonly EnqueueInput[], now: number) => EnqueueOutcome[];
  private readonly uploadedTx: (id: number, info: UploadedInfo) => MarkUploadedOutcome;
  private readonly pruneTx: (cutoffMs: number, now: number) => number;

  constructor(
    private readonly db: Database.Database,
    private readonly dbPath: string,
  ) {
    const p = <R = unknown>(sql: string) => db.prepare<unknown[], R>(sql);
    const q = FILE_SQL;
    this.s = {
      byId: p<FileRow>(q.byId),
      byPath: p<FileRow>(q.byPath),
      insert: p(q.insert),
      requeue: p(q.requeue),
      refresh: p(q.refresh),
      identityOf: p<{ size: number; mtimeMs: number; changed: number }>(q.identityOf),
      changedRequeue: p(q.changedRequeue),
      uploaded: p(q.uploaded),
      dropMultipart: p(q.dropMultipart),
      storeKey: p(q.storeKey),
      failed: p<FileRow>(q.failed),
      release: p(q.release),
      remove: p(q.remove),
      resetInFlight: p(q.resetInFlight),
      counts: p(q.counts),
      anyReady: p(q.anyReady),
      minWaiting: p<{ t: number | null }>(q.minWaiting),
      oldestQueued: p<{ t: number | null }>(q.oldestQueued),
      oldestInFlight: p<{ t: number | null }>(q.oldestInFlight),
      prune: p<{ path: string; size: number; mtimeMs: number }>(q.prune),
      tombstoneOf: p<{ size: number; mtimeMs: number }>(q.tombstoneOf),
      dropTombstone: p(q.dropTombstone),
      bury: p(q.bury),
      buryImported: p(q.buryImported),
      expireTombstones: p(q.expireTombstones),
      page: p<FileRow>(q.page),
      verify: p(q.verify),
      retryNow: p(q.retryNow),
      sha: p(q.sha),
      raise: p(q.raise),
      queueByPriority: p<QueuedByPriority>(q.queueByPriority),
      importUploaded: p(q.importUploaded),
    };
    this.fair = new FairClaim(db);
    this.enqueueTx = db.transaction((input: EnqueueInput, now: number) => this.doEnqueue(input, now));
    this.enqueueManyTx = db.transaction((inputs: readonly EnqueueInput[], now: number) =>
      inputs.map((i) => this.doEnqueue(i, now)),
    );
    this.uploadedTx = db.transaction((id: number, i: UploadedInfo): MarkUploadedOutcome => {
      const now = this.s.identityOf.get(id);
      if (now === undefined) return 'gone';
      this.s.dropMultipart.run(id);
      this.s.storeKey.run(i.objectKey, i.contentSha256, i.size, i.uploadedAt, id);
      if (now.changed === 1 && !sameIdentity(now, i)) {
        this.s.changedRequeue.run(id);
        return 'requeued';
      }
      this.s.uploaded.run(i.objectKey, i.contentSha256, i.uploadedAt, i.size, i.mtimeMs, id);
      return 'uploaded';
    });
    this.pruneTx = db.transaction((cutoffMs: number, now: number): number => {
      const gone = this.s.prune.all(cutoffMs) as Array<{ path: string; size: number; mtimeMs: number }>;
      for (const g of gone) this.s.bury.run(g.path, g.size, g.mtimeMs, now);
      return gone.length;
    });
  }

  /** Queues a path unless this exact identity is already queued, in flight or uploaded. */
  enqueue(input: EnqueueInput, now: number): EnqueueOutcome {
    return this.guard(() => this.enqueueTx(input, now));
  }

  /**
   * enqueue for a batch (a scan's findings) in one transaction: one commit instead of one per
   * file, about 3× faster per row. Keep batches to a few thousand so the event loop is not held.
   */
  enqueueMany(inputs: readonly EnqueueInput[], now: number): EnqueueOutcome[] {
    return this.guard(() => this.enqueueManyTx(inputs, now));
  }

  private doEnqueue(input: EnqueueInput, now: number): EnqueueOutcome {
    const verify = input.verifyRemote === true ? 1 : 0;
    const rank = input.priority ?? NORMAL_RANK;
    const row = this.s.byPath.get(input.path);
    if (row === undefined) {
      // Pruned by retention but still on disk, unchanged: it was uploaded, do not send it again.
      const tomb = this.s.tombstoneOf.get(input.path) as { size: number; mtimeMs: number } | undefined;
      if (tomb !== undefined) {
        if (sameIdentity(tomb, input)) return 'already-uploaded';
        this.s.dropTombstone.run(input.path);
      }
      this.s.insert.run(input.path, input.source, input.relPath, input.size, input.mtimeMs, now, verify, rank);
      return 'queued';
    }
    const same = sameIdentity(row, input);
    if (row.status === 'uploaded') {
      if (same) return 'already-uploaded';
      this.s.requeue.run(input.source, input.relPath, input.size, input.mtimeMs, now, verify, rank, row.id);
      return 'queued';
    }
    const keepVerify = Math.max(row.verifyRemote, verify);
    // A rescan must not undo a raise by the incident marker: the more urgent rank stays.
    const keepRank = Math.min(row.priority ?? NORMAL_RANK, rank);
    const unchanged =
      same && row.source === input.source && row.relPath === input.relPath && keepVerify === row.verifyRemote &&
      keepRank === row.priority;
    // Changed content invalidates a hash computed earlier; a mere re-mapping of source does not.
    if (!unchanged) {
      const keep = same ? 1 : 0;
      this.s.refresh.run(input.source, input.relPath, input.size, input.mtimeMs, keepVerify, keepRank, keep, keep, row.id);
    }
    return 'already-queued';
  }

  /**
   * Atomically takes the next eligible queued row (fair share per source, oldest first; see
   * fair-claim.ts) and marks it in_flight. Accepts the exclude set directly or as an option.
   */
  claimNext(now: number, options?: ReadonlySet<string> | ClaimOptions): FileRecord | null {
    const opts: ClaimOptions = options === undefined ? {} : isSet(options) ? { exclude: options } : options;
    return this.guard(() => this.fair.claim(now, opts));
  }

  /**
   * Records a successful upload of identity (size, mtime) and forgets its multipart progress.
   * If enqueue reported a different identity while the row was in flight (the file was appended
   * to during the upload), the row goes back to the queue for the new content instead
   * ('requeued'): nothing the watcher saw is lost. 'gone' = the row was removed meanwhile.
   */
  markUploaded(id: number, info: UploadedInfo): MarkUploadedOutcome {
    return this.guard(() => this.uploadedTx(id, info));
  }

  /** Back to queued with one more attempt and the error; not claimed again before nextAttemptAt. */
  markFailed(id: number, info: FailureInfo): FileRecord {
    const at = Math.max(0, Math.ceil(info.nextAttemptAt));
    const row = this.guard(() => this.s.failed.get(info.error, info.code, at, id) as FileRow | undefined);
    if (row === undefined) throw missing(id, 'markFailed');
    return toRecord(row);
  }

  /** in_flight → queued without counting an attempt (shutdown, file changed under us). */
  release(id: number): void {
    this.guard(() => this.s.release.run(id));
  }

  /** Deletes the row (the file vanished) and, by cascade, its multipart progress. */
  remove(id: number): void {
    this.guard(() => this.s.remove.run(id));
  }

  /**
   * Start-up: rows left in flight by the previous process go back to the queue, flagged to check
   * the remote first (it may have finished the upload without recording it). Returns the count.
   */
  resetInFlight(): number {
    return this.guard(() => this.s.resetInFlight.run().changes);
  }

  get(id: number): FileRecord | null {
    return this.guard(() => toRecordOrNull(this.s.byId.get(id) as FileRow | undefined));
  }

  getByPath(path: string): FileRecord | null {
    return this.guard(() => toRecordOrNull(this.s.byPath.get(path) as FileRow | undefined));
  }

  /** O(1): maintained by triggers. */
  countByStatus(): { queued: number; inFlight: number; uploaded: number } {
    return this.guard(() => this.s.counts.get() as { queued: number; inFlight: number; uploaded: number });
  }

  /**
   * Earliest retry time among queued rows, for the dispatcher's timer: 0 when some row is
   * eligible already, null when nothing is queued.
   */
  nextWakeAt(): number | null {
    return this.guard(() => {
      if (this.s.anyReady.get() !== undefined) return 0;
      return (this.s.minWaiting.get() as { t: number | null }).t;
    });
  }

  /** queued_at of the oldest file not yet uploaded (queued or in flight), for the queue-age gauge. */
  oldestQueuedAt(): number | null {
    return this.guard(() => {
      // MIN() always yields one row (t = NULL when there is none).
      const times = [this.s.oldestQueued, this.s.oldestInFlight]
        .map((stmt) => (stmt.get() as { t: number | null }).t)
        .filter((t): t is number => t !== null);
      return times.length === 0 ? null : Math.min(...times);
    });
  }

  /**
   * Registry retention: deletes uploaded rows with uploaded_at < cutoffMs (epoch ms), in batches
   * of 1000, each its own short transaction, so no single write holds the lock for long. Each row
   * leaves a tombstone (path, size, mtime; pruned_at = now) so a rescan does not queue the file
   * again while it is unchanged on disk.
   */
  pruneUploaded(cutoffMs: number, now: number): number {
    return this.guard(() => deleteInBatches(() => this.pruneTx(cutoffMs, now)));
  }

  /** Forgets tombstones written before cutoffMs, in batches. Returns the count. */
  expireTombstones(cutoffMs: number): number {
    return this.guard(() => deleteInBatches(() => this.s.expireTombstones.run(cutoffMs).changes));
  }

  /** A tombstone from outside the normal flow (legacy registry entries past retention); true if written. */
  importTombstone(t: { path: string; size: number; mtimeMs: number }, now: number): boolean {
    return this.guard(() => this.s.buryImported.run(t.path, t.size, t.mtimeMs, now, t.path).changes === 1);
  }

  /**
   * Every queued row, oldest first, read a page at a time: the caller may update or remove rows
   * while iterating (better-sqlite3 forbids other statements while a cursor is open).
   */
  *iterateQueued(): IterableIterator<FileRecord> {
    let after: [number, number] = [Number.MIN_SAFE_INTEGER, 0];
    for (;;) {
      const rows = this.guard(() => this.s.page.all(...after) as FileRow[]);
      for (const r of rows) yield toRecord(r);
      const last = rows[rows.length - 1];
      if (rows.length < PAGE || last === undefined) return;
      after = [last.queuedAt, last.id];
    }
  }

  /** An upload pass asked for by hand (`upload-now`): files waiting for a retry are due now. */
  retryAllNow(): number {
    return this.guard(() => this.s.retryNow.run().changes);
  }

  markVerifyRemote(id: number): void {
    this.guard(() => this.s.verify.run(id));
  }

  /** Queued files and their bytes per priority rank (0 = high); O(1), kept by triggers. */
  queuedByPriority(): QueuedByPriority[] {
    return this.guard(() => this.s.queueByPriority.all() as QueuedByPriority[]);
  }

  /** Raises a row to `rank` if it is less urgent now (never lowers it); true if the row exists. */
  raisePriority(id: number, rank: PriorityRank): boolean {
    return this.guard(() => this.s.raise.run(rank, id).changes === 1);
  }

  setContentSha256(id: number, sha: string): void {
    this.guard(() => this.s.sha.run(sha, id));
  }

  /** Inserts an uploaded row unless the path is known already; true if inserted. */
  importUploaded(r: UploadedImport): boolean {
    return this.guard(
      () =>
        this.s.importUploaded.run(r.path, r.source, r.relPath, r.size, r.mtimeMs, r.objectKey, r.uploadedAt, r.uploadedAt)
          .changes === 1,
    );
  }

  private guard<T>(fn: () => T): T {
    return guarded(this.db, this.dbPath, fn);
  }
}

function isSet(v: ReadonlySet<string> | ClaimOptions): v is ReadonlySet<string> {
  return typeof (v as ReadonlySet<string>).has === 'function';
}

function missing(id: number, op: string): TvmError {
  return new TvmError(ErrorCodes.INTERNAL, `${op}: no file row with id ${id}`, { retriability: 'permanent' });
}
