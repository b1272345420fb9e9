/**
 * The SQL over the `files` table and its row mapping: SQLite's snake_case columns are aliased to
 * FileRecord's field names in SQL, and only the 0/1 flag needs converting afterwards. Every
 * statement repeats the partial indexes' WHERE terms literally (see migrations.ts), or SQLite
 * would not use them.
 */
import type { FileRecord } from './types.js';

export const FILE_COLUMNS = `id, path, source, rel_path AS relPath, size, mtime_ms AS mtimeMs, status, attempts,
  next_attempt_at AS nextAttemptAt, last_error AS lastError, last_error_code AS lastErrorCode,
  content_sha256 AS contentSha256, object_key AS objectKey, uploaded_at AS uploadedAt,
  queued_at AS queuedAt, verify_remote AS verifyRemote, priority`;

export type FileRow = Omit<FileRecord, 'verifyRemote'> & { readonly verifyRemote: number };

export function toRecord(row: FileRow): FileRecord {
  return { ...row, verifyRemote: row.verifyRemote === 1 };
}

export function toRecordOrNull(row: FileRow | undefined): FileRecord | null {
  return row === undefined ? null : toRecord(row);
}

/** Rows per page of iterateQueued. */
export const PAGE = 500;
/** Rows per pruning transaction. */
export const PRUNE_BATCH = 1000;

/**
 * Repeats a batched DELETE (`LIMIT PRUNE_BATCH`), each run its own short transaction so no
 * single write holds the lock for long, until a run removes less than a batch. Returns the total.
 */
export function deleteInBatches(run: () => number): number {
  let total = 0;
  for (;;) {
    const n = run();
    total += n;
    if (n < PRUNE_BATCH) return total;
  }
}

/** Every statement over `files` (exported so a test can check each one's query plan uses an index). */
export const FILE_SQL = {
  byId: `SELECT ${FILE_COLUMNS} FROM files WHERE id = ?`,
  byPath: `SELECT ${FILE_COLUMNS} FROM files WHERE path = ?`,
  insert: `INSERT INTO files (path, source, rel_path, size, mtime_ms, status, queued_at, verify_remote, priority)
    VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
  requeue: `UPDATE files SET status = 'queued', source = ?, rel_path = ?, size = ?, mtime_ms = ?, attempts = 0,
    next_attempt_at = 0, last_error = NULL, last_error_code = NULL, content_sha256 = NULL,
    object_key = NULL, uploaded_at = NULL, queued_at = ?, verify_remote = ?, priority = ? WHERE id = ?`,
  refresh: `UPDATE files SET source = ?, rel_path = ?, size = ?, mtime_ms = ?, verify_remote = ?, priority = ?,
    content_sha256 = CASE WHEN ? THEN content_sha256 ELSE NULL END,
    changed_in_flight = CASE WHEN ? THEN changed_in_flight ELSE status = 'in_flight' END WHERE id = ?`,
  identityOf: `SELECT size, mtime_ms AS mtimeMs, changed_in_flight AS changed FROM files WHERE id = ?`,
  changedRequeue: `UPDATE files SET status = 'queued', attempts = 0, next_attempt_at = 0, last_error = NULL,
    last_error_code = NULL, content_sha256 = NULL, object_key = NULL, uploaded_at = NULL, verify_remote = 0,
    changed_in_flight = 0 WHERE id = ?`,
  uploaded: `UPDATE files SET status = 'uploaded', object_key = ?, content_sha256 = ?, uploaded_at = ?, size = ?,
    mtime_ms = ?, attempts = 0, next_attempt_at = 0, last_error = NULL, last_error_code = NULL,
    verify_remote = 0 WHERE id = ?`,
  dropMultipart: 'DELETE FROM multipart WHERE file_id = ?',
  // The key now holds these bytes, whatever happens to the row (even a requeue: the object exists).
  storeKey: `INSERT INTO object_keys (key, source_sha256, source_size, path, stored, issued_at) SELECT ?, ?, ?, path, 1, ? FROM files
    WHERE id = ? ON CONFLICT (key) DO UPDATE SET source_sha256 = excluded.source_sha256, source_size = excluded.source_size,
    path = excluded.path, stored = 1, issued_at = excluded.issued_at`,
  failed: `UPDATE files SET status = 'queued', attempts = attempts + 1, last_error = ?,
    last_error_code = ?, next_attempt_at = ? WHERE id = ? RETURNING ${FILE_COLUMNS}`,
  release: `UPDATE files SET status = 'queued' WHERE id = ? AND status = 'in_flight'`,
  remove: 'DELETE FROM files WHERE id = ?',
  resetInFlight: `UPDATE files INDEXED BY files_in_flight SET status = 'queued', verify_remote = 1
    WHERE status = 'in_flight'`,
  counts: `SELECT (SELECT n FROM counts WHERE name = 'queued') AS queued,
    (SELECT n FROM counts WHERE name = 'in_flight') AS inFlight,
    (SELECT n FROM counts WHERE name = 'uploaded') AS uploaded`,
  anyReady: `SELECT 1 FROM files INDEXED BY files_ready WHERE status = 'queued' AND next_attempt_at = 0 LIMIT 1`,
  minWaiting: `SELECT MIN(next_attempt_at) AS t FROM files INDEXED BY files_waiting
    WHERE status = 'queued' AND next_attempt_at <> 0`,
  oldestQueued: `SELECT MIN(queued_at) AS t FROM files INDEXED BY files_queued WHERE status = 'queued'`,
  oldestInFlight: `SELECT MIN(queued_at) AS t FROM files INDEXED BY files_in_flight WHERE status = 'in_flight'`,
  prune: `DELETE FROM files WHERE id IN (SELECT id FROM files INDEXED BY files_uploaded_at
    WHERE status = 'uploaded' AND uploaded_at < ?
    LIMIT ${PRUNE_BATCH}) RETURNING path, size, mtime_ms AS mtimeMs`,
  page: `SELECT ${FILE_COLUMNS} FROM files INDEXED BY files_queued WHERE status = 'queued' AND (queued_at, id) > (?, ?)
    ORDER BY queued_at, id LIMIT ${PAGE}`,
  // Tombstones: the identity of pruned uploaded rows (see migrations.ts V2).
  tombstoneOf: 'SELECT size, mtime_ms AS mtimeMs FROM tombstones WHERE path = ?',
  dropTombstone: 'DELETE FROM tombstones WHERE path = ?',
  bury: `INSERT INTO tombstones (path, size, mtime_ms, pruned_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms, pruned_at = excluded.pruned_at`,
  buryImported: `INSERT INTO tombstones (path, size, mtime_ms, pruned_at) SELECT ?, ?, ?, ?
    WHERE NOT EXISTS (SELECT 1 FROM files WHERE path = ?) ON CONFLICT (path) DO NOTHING`,
  expireTombstones: `DELETE FROM tombstones WHERE path IN (SELECT path FROM tombstones INDEXED BY tombstones_pruned_at
    WHERE pruned_at < ? LIMIT ${PRUNE_BATCH})`,
  verify: 'UPDATE files SET verify_remote = 1 WHERE id = ?',
  retryNow: `UPDATE files INDEXED BY files_waiting SET next_attempt_at = 0
    WHERE status = 'queued' AND next_attempt_at <> 0`,
  queueByPriority: 'SELECT priority, files, bytes FROM queue_by_priority ORDER BY priority',
  /** Raises (never lowers) a row's priority: the incident marker. */
  raise: 'UPDATE files SET priority = MIN(priority, ?) WHERE id = ?',
  sha: 'UPDATE files SET content_sha256 = ? WHERE id = ?',
  importUploaded: `INSERT INTO files (path, source, rel_path, size, mtime_ms, status, object_key, uploaded_at,
    queued_at) VALUES (?, ?, ?, ?, ?, 'uploaded', ?, ?, ?) ON CONFLICT (path) DO NOTHING`,
} as const;
