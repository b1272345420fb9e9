/**
 * Picks the next file to work on, fairly across sources, in O(sources × log rows).
 *
 * Order: the most urgent priority first (high, normal, low; see priority/priority.ts), so a high
 * file overtakes every queued normal/low one whatever its source; then, among sources with an eligible row (queued, retry time reached, not excluded, queued
 * since `queuedSince` if given), the source with the fewest rows in flight wins; ties go to the
 * source whose oldest eligible row is oldest; within the source, oldest queued_at first. So a
 * chatty source (thousands of ROS logs) cannot starve a quiet one (syslog), and a backlog drains
 * oldest first instead of the reference's "newest 50 first".
 *
 * How it stays cheap with a million queued rows: eligible rows sit in the partial index
 * files_ready (source, queued_at); rows in backoff sit in files_waiting (next_attempt_at) and
 * are moved over (next_attempt_at := 0) when due, touching only those rows. Distinct sources are
 * enumerated by a skip-scan (recursive CTE: "smallest source greater than the last one"), in-flight
 * counts come from the tiny files_in_flight index. Partial indexes are only used when the query
 * repeats their WHERE terms literally, hence the inlined 'queued' / 0, and each statement names
 * its index (INDEXED BY) so the planner cannot fall back to walking every queued row.
 */
import type Database from 'better-sqlite3';
import { FILE_COLUMNS, toRecord, type FileRow } from './file-sql.js';
import type { FileRecord } from './types.js';
import type { PriorityRank } from '../priority/priority.js';

/**
 * Retry times further ahead than this are treated as the product of a wall clock that has since
 * been set back (vehicles boot with wrong clocks and jump on NTP/GPS sync): such rows become due
 * at once instead of waiting, possibly for months. No sane backoff is longer than a day.
 */
export const MAX_RETRY_HORIZON_MS = 24 * 60 * 60 * 1000;

export interface ClaimOptions {
  /** Paths the caller is processing already; never returned (defensive). */
  readonly exclude?: ReadonlySet<string>;
  /** Only rows queued at or after this epoch ms (e.g. outside the backlog window); null = any. */
  readonly queuedSince?: number | null;
  /**
   * Least urgent rank that may be claimed (0 = high only … 2 = everything; the link policy);
   * default 2. A caller that may send nothing does not claim at all.
   */
  readonly maxPriority?: PriorityRank;
}

/** The statements (exported so a test can check each one's query plan uses an index). */
export const CLAIM_SQL = {
  promoteDue: `UPDATE files INDEXED BY files_waiting SET next_attempt_at = 0
    WHERE status = 'queued' AND next_attempt_at <> 0 AND next_attempt_at <= ?`,
  promoteFuture: `UPDATE files INDEXED BY files_waiting SET next_attempt_at = 0
    WHERE status = 'queued' AND next_attempt_at <> 0 AND next_attempt_at > ?`,
  sources: `WITH RECURSIVE src(s) AS (
      SELECT (SELECT source FROM files INDEXED BY files_ready WHERE status = 'queued' AND next_attempt_at = 0
              ORDER BY source LIMIT 1)
      UNION ALL
      SELECT (SELECT source FROM files INDEXED BY files_ready WHERE status = 'queued' AND next_attempt_at = 0
              AND source > src.s
              ORDER BY source LIMIT 1)
      FROM src WHERE src.s IS NOT NULL
    )
    SELECT s AS source,
      (SELECT COUNT(*) FROM files INDEXED BY files_in_flight WHERE status = 'in_flight' AND source = src.s) AS inFlight
    FROM src WHERE s IS NOT NULL`,
  // Only what the choice needs: every source's head is read on every claim, the winner's whole row
  // comes from \`take\` (a full row here cost ≈ 3× as much per seek, four sources × two ranks a claim).
  headOf: `SELECT id, path, priority, queued_at AS queuedAt FROM files INDEXED BY files_ready
    WHERE status = 'queued' AND next_attempt_at = 0 AND source = ? AND priority = ? AND queued_at >= ?
    ORDER BY queued_at, id LIMIT ?`,
  take: `UPDATE files SET status = 'in_flight', changed_in_flight = 0 WHERE id = ? RETURNING ${FILE_COLUMNS}`,
} as const;

export class FairClaim {
  private readonly promoteDue: Database.Statement<[number]>;
  private readonly promoteFuture: Database.Statement<[number]>;
  private readonly sources: Database.Statement<[], { source: string; inFlight: number }>;
  private readonly headOf: Database.Statement<[string, number, number, number], Head>;
  private readonly take: Database.Statement<[number], FileRow>;
  readonly claim: (now: number, options: ClaimOptions) => FileRecord | null;

  constructor(db: Database.Database) {
    this.promoteDue = db.prepare(CLAIM_SQL.promoteDue);
    this.promoteFuture = db.prepare(CLAIM_SQL.promoteFuture);
    this.sources = db.prepare(CLAIM_SQL.sources);
    this.headOf = db.prepare(CLAIM_SQL.headOf);
    this.take = db.prepare(CLAIM_SQL.take);
    // IMMEDIATE: take the write lock before reading, so the pick and the mark are one atomic step.
    this.claim = db.transaction((now: number, options: ClaimOptions) => this.run(now, options)).immediate;
  }

  /**
   * A source's most urgent, then oldest, eligible row. One seek per rank (three at most): with
   * (source, priority, queued_at) a single "priority <= ?" query could not seek on queued_at and
   * would walk every older row when queuedSince is set.
   */
  private headFor(source: string, maxRank: PriorityRank, since: number, limit: number, exclude: ReadonlySet<string> | undefined): Head | undefined {
    for (const rank of RANKS) {
      if (rank > maxRank) return undefined;
      const head = this.headOf.all(source, rank, since, limit).find((r) => !exclude?.has(r.path));
      if (head !== undefined) return head;
    }
    return undefined;
  }

  private run(now: number, options: ClaimOptions): FileRecord | null {
    this.promoteDue.run(now);
    this.promoteFuture.run(now + MAX_RETRY_HORIZON_MS);
    const exclude = options.exclude;
    const limit = 1 + (exclude?.size ?? 0);
    const since = options.queuedSince ?? Number.MIN_SAFE_INTEGER;
    const maxRank = options.maxPriority ?? LEAST_URGENT;
    let best: { row: Head; inFlight: number } | null = null;
    for (const { source, inFlight } of this.sources.all()) {
      // Nothing from a busier source can beat a high-priority head from a less busy one.
      if (best !== null && best.row.priority === 0 && inFlight > best.inFlight) continue;
      const head = this.headFor(source, maxRank, since, limit, exclude);
      if (head === undefined) continue;
      if (best === null || before({ row: head, inFlight }, best)) best = { row: head, inFlight };
    }
    if (best === null) return null;
    // The row was just read in this same write transaction: it exists.
    return toRecord(this.take.get(best.row.id) as FileRow);
  }
}

const LEAST_URGENT: PriorityRank = 2;
const RANKS: readonly PriorityRank[] = [0, 1, 2];

/** The columns of a source's head that the choice between sources reads. */
type Head = Pick<FileRow, 'id' | 'path' | 'priority' | 'queuedAt'>;

/** Claim order between two sources' heads: more urgent, then less busy source, then older. */
function before(a: { row: Head; inFlight: number }, b: { row: Head; inFlight: number }): boolean {
  const pa = a.row.priority ?? 1;
  const pb = b.row.priority ?? 1;
  if (pa !== pb) return pa < pb;
  if (a.inFlight !== b.inFlight) return a.inFlight < b.inFlight;
  return older(a.row, b.row);
}

function older(a: Head, b: Head): boolean {
  return a.queuedAt < b.queuedAt || (a.queuedAt === b.queuedAt && a.id < b.id);
}
