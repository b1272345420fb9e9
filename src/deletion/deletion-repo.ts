/**
 * What the deletion policies read from and write to the state store: candidate rows in the
 * order each policy wants them (paged with keyset cursors, so a pass over a million rows holds
 * one page in memory and the executor may remove rows between pages), the atomic "file deleted"
 * step (row gone + audit row, one transaction), the audit trail, and the policy bookkeeping in
 * `meta` (last age-based run, last pass). Works on a read-only connection for dry runs: only
 * the write methods need a writable one.
 */
import type Database from 'better-sqlite3';
import { guarded } from '../state/sqlite-errors.js';
import type { FileRecord } from '../state/types.js';

/** The part of a files row the deletion policies look at. */
export type CandidateRow = Pick<
  FileRecord,
  'id' | 'path' | 'source' | 'relPath' | 'size' | 'mtimeMs' | 'status' | 'contentSha256' | 'objectKey' | 'uploadedAt'
>;

export interface AuditRow {
  readonly deletedAt: number;
  readonly path: string;
  readonly source: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly contentSha256: string | null;
  readonly objectKey: string | null;
  readonly uploaded: boolean;
  readonly policy: string;
  readonly reason: string;
}

const COLUMNS = `id, path, source, rel_path AS relPath, size, mtime_ms AS mtimeMs, status,
  content_sha256 AS contentSha256, object_key AS objectKey, uploaded_at AS uploadedAt`;
const AUDIT_COLUMNS = `deleted_at AS deletedAt, path, source, size, mtime_ms AS mtimeMs, content_sha256 AS contentSha256,
  object_key AS objectKey, uploaded, policy, reason`;
/** Rows per page. */
export const PAGE_SIZE = 200;

const SQL = {
  byId: `SELECT ${COLUMNS} FROM files WHERE id = ?`,
  hasPath: 'SELECT 1 AS one FROM files WHERE path = ?',
  // Partial indexes need their WHERE terms literally, hence one statement per status.
  uploadedBefore: `SELECT ${COLUMNS} FROM files INDEXED BY files_uploaded_at
    WHERE status = 'uploaded' AND uploaded_at <= ? AND (uploaded_at, id) > (?, ?) AND source IN (SELECT value FROM json_each(?)) ORDER BY uploaded_at, id LIMIT ${PAGE_SIZE}`,
  uploadedByMtime: `SELECT ${COLUMNS} FROM files INDEXED BY files_uploaded_mtime
    WHERE status = 'uploaded' AND mtime_ms < ? AND (mtime_ms, id) > (?, ?) AND source IN (SELECT value FROM json_each(?)) ORDER BY mtime_ms, id LIMIT ${PAGE_SIZE}`,
  queuedByMtime: `SELECT ${COLUMNS} FROM files INDEXED BY files_queued_mtime
    WHERE status = 'queued' AND mtime_ms < ? AND (mtime_ms, id) > (?, ?) AND source IN (SELECT value FROM json_each(?)) ORDER BY mtime_ms, id LIMIT ${PAGE_SIZE}`,
  removeFile: 'DELETE FROM files WHERE id = ?',
  audit: `INSERT INTO deletions (deleted_at, path, source, size, mtime_ms, content_sha256, object_key, uploaded, policy, reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  recentAudit: `SELECT ${AUDIT_COLUMNS} FROM deletions ORDER BY id DESC LIMIT ?`,
  auditBetween: `SELECT ${AUDIT_COLUMNS} FROM deletions WHERE deleted_at BETWEEN ? AND ? ORDER BY id LIMIT ?`,
  pruneAudit: 'DELETE FROM deletions WHERE deleted_at < ?',
  metaGet: 'SELECT value FROM meta WHERE key = ?',
  metaSet: 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
} as const;

export type CandidateKind =
  /** after_upload: uploaded rows by upload time, from uploadedAtMin (exclusive) up to a cutoff. */
  | { readonly kind: 'uploaded-before'; readonly uploadedAtMax: number; readonly uploadedAtMin?: number }
  /** age_based and emergency: oldest file first, mtime below a bound (Infinity = any). */
  | { readonly kind: 'oldest'; readonly status: 'uploaded' | 'queued'; readonly mtimeBelow: number };

export type CandidateOrder = CandidateKind & {
  /**
   * Only rows of these sources: the directories that allow deletion at all, so rows that can
   * never go (allow_deletion: false) are not walked again on every pass.
   */
  readonly sources: readonly string[];
};

export class DeletionRepo {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly dbPath: string,
  ) {}

  get(id: number): CandidateRow | null {
    return this.guard(() => (this.stmt(SQL.byId).get(id) as CandidateRow | undefined) ?? null);
  }

  /** Whether the state store has a row for this path (files without one are "unrecorded"). */
  hasPath(path: string): boolean {
    return this.guard(() => this.stmt(SQL.hasPath).get(path) !== undefined);
  }

  /** Candidate rows in the policy's order, a page at a time. */
  *candidates(order: CandidateOrder): IterableIterator<CandidateRow> {
    const sql = order.kind === 'uploaded-before' ? SQL.uploadedBefore : order.status === 'uploaded' ? SQL.uploadedByMtime : SQL.queuedByMtime;
    const bound = order.kind === 'uploaded-before' ? order.uploadedAtMax : order.mtimeBelow;
    // SQLite compares REAL with ±Infinity correctly only as a bound value; use the largest double.
    const max = Number.isFinite(bound) ? bound : Number.MAX_VALUE;
    const min = order.kind === 'uploaded-before' && order.uploadedAtMin !== undefined ? order.uploadedAtMin : -Number.MAX_VALUE;
    let after: [number, number] = [min, 0];
    const sources = JSON.stringify(order.sources);
    const stmt = this.guard(() => this.stmt(sql));
    for (;;) {
      const rows = this.guard(() => stmt.all(max, ...after, sources) as CandidateRow[]);
      for (const r of rows) yield r;
      const last = rows[rows.length - 1];
      if (rows.length < PAGE_SIZE || last === undefined) return;
      after = [order.kind === 'uploaded-before' ? (last.uploadedAt ?? 0) : last.mtimeMs, last.id];
    }
  }

  /** The file is gone from disk: forget its row and write the audit row, in one transaction. */
  recordDeleted(id: number, audit: AuditRow): void {
    this.guard(() =>
      this.db.transaction(() => {
        this.stmt(SQL.removeFile).run(id);
        this.insertAudit(audit);
      })(),
    );
  }

  /** A file without a row was deleted: the audit row is all there is to write. */
  recordDeletedUnrecorded(audit: AuditRow): void {
    this.guard(() => this.insertAudit(audit));
  }

  /** An uploaded file that no longer exists (removed by someone else): its row has nothing left to do. */
  forget(id: number): void {
    this.guard(() => this.stmt(SQL.removeFile).run(id));
  }

  /** Newest first. */
  recentAudit(limit: number): AuditRow[] {
    return this.guard(() =>
      (this.stmt(SQL.recentAudit).all(limit) as RawAudit[]).map(fromRaw),
    );
  }

  /** Deletions recorded from `fromMs` to `toMs` (inclusive), oldest first: one pass's, since passes never overlap. */
  auditBetween(fromMs: number, toMs: number, limit: number): AuditRow[] {
    return this.guard(() => (this.stmt(SQL.auditBetween).all(fromMs, toMs, limit) as RawAudit[]).map(fromRaw));
  }

  /** Drops audit rows older than `cutoffMs`; returns how many. */
  pruneAudit(cutoffMs: number): number {
    return this.guard(() => this.stmt(SQL.pruneAudit).run(cutoffMs).changes);
  }

  getMeta(key: string): string | null {
    return this.guard(() => (this.stmt(SQL.metaGet).get(key) as { value: string } | undefined)?.value ?? null);
  }

  setMeta(key: string, value: string): void {
    this.guard(() => this.stmt(SQL.metaSet).run(key, value));
  }

  private insertAudit(a: AuditRow): void {
    this.db
      .prepare(SQL.audit)
      .run(a.deletedAt, a.path, a.source, a.size, a.mtimeMs, a.contentSha256, a.objectKey, a.uploaded ? 1 : 0, a.policy, a.reason);
  }

  /** Prepared once, on first use (a read-only connection never prepares the writes it cannot run). */
  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private guard<T>(fn: () => T): T {
    return guarded(this.db, this.dbPath, fn);
  }
}

type RawAudit = Omit<AuditRow, 'uploaded'> & { uploaded: number };

function fromRaw(r: RawAudit): AuditRow {
  return { ...r, uploaded: r.uploaded === 1 };
}
