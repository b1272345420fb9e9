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
    LIMIT ${PRUNE_BATCH})`,
  page: `SELECT ${FILE_COLUMNS} FROM files INDEXED BY files_queued WHERE status = 'queued' AND (queued_at, id) > (?, ?)
    ORDER BY queued_at, id LIMIT ${PAGE}`,
  verify: 'UPDATE files SET verify_remote = 1 WHERE id = ?',
  queueByPriority: 'SELECT priority, files, bytes FROM queue_by_priority ORDER BY priority',
  /** Raises (never lowers) a row's priority: the incident marker. */
  raise: 'UPDATE files SET priority = MIN(priority, ?) WHERE id = ?',
  sha: 'UPDATE files SET content_sha256 = ? WHERE id = ?',
  importUploaded: `INSERT INTO files (path, source, rel_path, size, mtime_ms, status, object_key, uploaded_at,
    queued_at) VALUES (?, ?, ?, ?, ?, 'uploaded', ?, ?, ?) ON CONFLICT (path) DO NOTHING`,
} as const;
