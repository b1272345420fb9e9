/**
 * The schema of the state database as an ordered list of steps. `PRAGMA user_version` holds the
 * number of steps applied; each pending step runs in its own transaction together with the bump
 * of user_version, so a crash mid-migration leaves the previous version intact. A database written
 * by a newer tvm-upload (higher version than this build knows) is refused, never downgraded.
 *
 * Steps are append-only: never edit a released step, add a new one.
 */
import type Database from 'better-sqlite3';
import { ErrorCodes, TvmError } from '../errors.js';

export interface Migration {
  /** 1-based; equals the user_version after this step. */
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/*
 * Index design (files): the dispatcher's fair-share query needs, per source, the oldest row that
 * may be tried now; retries in backoff must not sit in that index, or a head of rows waiting for
 * their backoff would have to be skipped row by row. So a queued row lives in exactly one of two
 * partial indexes: files_ready (next_attempt_at = 0: eligible) or files_waiting (a retry time).
 * claimNext moves due rows from waiting to ready, which touches only the rows that became due.
 * Every index is partial so the (possibly large) registry of uploaded rows costs one index only.
 * Statements name their index with INDEXED BY: without ANALYZE statistics the planner would
 * otherwise happily walk a million queued rows, and a dropped index becomes a prepare-time error.
 */
const V1 = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE files (
  id               INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: callers may hold ids across prunes
  path             TEXT NOT NULL UNIQUE,
  source           TEXT NOT NULL,
  rel_path         TEXT NOT NULL,
  size             INTEGER NOT NULL,
  mtime_ms         REAL NOT NULL,                     -- fs.Stats.mtimeMs as is (REAL round-trips a double exactly)
  status           TEXT NOT NULL CHECK (status IN ('queued', 'in_flight', 'uploaded')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL DEFAULT 0,
  last_error       TEXT,
  last_error_code  TEXT,
  content_sha256   TEXT,
  object_key       TEXT,
  uploaded_at      INTEGER,
  queued_at        INTEGER NOT NULL,
  verify_remote    INTEGER NOT NULL DEFAULT 0 CHECK (verify_remote IN (0, 1)),
  -- Set when enqueue saw a new identity while the row was in flight; cleared when claimed.
  changed_in_flight INTEGER NOT NULL DEFAULT 0 CHECK (changed_in_flight IN (0, 1))
);
CREATE INDEX files_ready ON files (source, queued_at) WHERE status = 'queued' AND next_attempt_at = 0;
CREATE INDEX files_waiting ON files (next_attempt_at) WHERE status = 'queued' AND next_attempt_at <> 0;
CREATE INDEX files_queued ON files (queued_at) WHERE status = 'queued';
CREATE INDEX files_in_flight ON files (source) WHERE status = 'in_flight';
CREATE INDEX files_uploaded_at ON files (uploaded_at) WHERE status = 'uploaded';

-- Row counts kept by triggers so status/metrics reads are O(1) whatever the table size.
CREATE TABLE counts (
  name TEXT PRIMARY KEY,
  n    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counts (name, n) VALUES ('queued', 0), ('in_flight', 0), ('uploaded', 0), ('outbox', 0);

CREATE TRIGGER files_count_insert AFTER INSERT ON files BEGIN
  UPDATE counts SET n = n + 1 WHERE name = NEW.status;
END;
CREATE TRIGGER files_count_delete AFTER DELETE ON files BEGIN
  UPDATE counts SET n = n - 1 WHERE name = OLD.status;
END;
CREATE TRIGGER files_count_update AFTER UPDATE OF status ON files WHEN OLD.status <> NEW.status BEGIN
  UPDATE counts SET n = n - 1 WHERE name = OLD.status;
  UPDATE counts SET n = n + 1 WHERE name = NEW.status;
END;

CREATE TABLE multipart (
  file_id        INTEGER PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
  upload_id      TEXT NOT NULL,
  object_key     TEXT NOT NULL,
  part_size      INTEGER NOT NULL,
  upload_path    TEXT NOT NULL,
  source_sha256  TEXT NOT NULL,
  created_at     INTEGER NOT NULL
);
CREATE INDEX multipart_created_at ON multipart (created_at);

CREATE TABLE multipart_parts (
  file_id      INTEGER NOT NULL REFERENCES multipart (file_id) ON DELETE CASCADE,
  part_number  INTEGER NOT NULL CHECK (part_number BETWEEN 1 AND 10000),
  etag         TEXT NOT NULL,
  size         INTEGER NOT NULL,
  PRIMARY KEY (file_id, part_number)
) WITHOUT ROWID;

CREATE TABLE outbox (
  id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: an ack after a drop must not hit new rows
  name       TEXT NOT NULL,
  unit       TEXT NOT NULL,
  value      REAL NOT NULL,
  timestamp  INTEGER NOT NULL
);
CREATE INDEX outbox_timestamp ON outbox (timestamp);
CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox BEGIN
  UPDATE counts SET n = n + 1 WHERE name = 'outbox';
END;
CREATE TRIGGER outbox_count_delete AFTER DELETE ON outbox BEGIN
  UPDATE counts SET n = n - 1 WHERE name = 'outbox';
END;
`;

/*
 * Deletion (src/deletion/): the audit trail of every file the policies removed, and the indexes
 * their oldest-first queries walk (emergency and age-based order by the file's mtime).
 */
const V_DELETION = `
CREATE TABLE deletions (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  deleted_at     INTEGER NOT NULL,
  path           TEXT NOT NULL,
  source         TEXT NOT NULL,
  size           INTEGER NOT NULL,
  mtime_ms       REAL NOT NULL,
  content_sha256 TEXT,
  object_key     TEXT,
  uploaded       INTEGER NOT NULL CHECK (uploaded IN (0, 1)),
  policy         TEXT NOT NULL,
  reason         TEXT NOT NULL
);
CREATE INDEX deletions_deleted_at ON deletions (deleted_at);
CREATE INDEX files_uploaded_mtime ON files (mtime_ms, id) WHERE status = 'uploaded';
CREATE INDEX files_queued_mtime ON files (mtime_ms, id) WHERE status = 'queued';
`;

/*
 * Version 3, data safety.
 * - object_keys: every key this daemon issued and the source bytes it holds (stored = 1) or is
 *   reserved for (stored = 0), so a second content of the same path and date, or a second file
 *   mapping to the same key, gets a new version instead of overwriting (sinks/s3/object-key.ts).
 *   source_sha256 = '' (size -1) for a key found taken by an object we did not write.
 * - tombstones: identity of uploaded rows pruned by registry retention, so a rescan does not
 *   re-send files still on disk.
 * - multipart gains the proof that recorded parts belong to the bytes about to be sent: codec,
 *   level, codec library version and the spool output's sha256. Rows from version 1 have none
 *   and are started clean.
 * Existing uploaded keys are copied into object_keys so an upgrade never re-issues them.
 */
const V_DATA_SAFETY = `
CREATE TABLE object_keys (
  key            TEXT PRIMARY KEY,
  source_sha256  TEXT NOT NULL,
  source_size    INTEGER NOT NULL DEFAULT -1,
  path           TEXT NOT NULL,
  stored         INTEGER NOT NULL DEFAULT 0 CHECK (stored IN (0, 1)),
  issued_at      INTEGER NOT NULL  -- issued, or last written
) WITHOUT ROWID;
CREATE INDEX object_keys_source ON object_keys (path, source_sha256);
CREATE INDEX object_keys_issued_at ON object_keys (issued_at);
INSERT OR IGNORE INTO object_keys (key, source_sha256, source_size, path, stored, issued_at)
  SELECT object_key, COALESCE(content_sha256, ''), size, path, 1, COALESCE(uploaded_at, queued_at) FROM files
  WHERE status = 'uploaded' AND object_key IS NOT NULL;

CREATE TABLE tombstones (
  path       TEXT PRIMARY KEY,
  size       INTEGER NOT NULL,
  mtime_ms   REAL NOT NULL,
  pruned_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tombstones_pruned_at ON tombstones (pruned_at);

ALTER TABLE multipart ADD COLUMN codec TEXT NOT NULL DEFAULT '';
ALTER TABLE multipart ADD COLUMN codec_level INTEGER NOT NULL DEFAULT -1;
ALTER TABLE multipart ADD COLUMN codec_version TEXT NOT NULL DEFAULT '';
ALTER TABLE multipart ADD COLUMN output_sha256 TEXT NOT NULL DEFAULT '';
`;

/*
 * Priorities (issue 17): a rank per row (0 = high, 1 = normal, 2 = low; existing rows are normal)
 * and files_ready rebuilt as (source, priority, queued_at), so the claim's per-source head is the
 * most urgent, then oldest, row and the skip-scan over sources keeps working unchanged.
 * queue_by_priority keeps queued files and bytes per rank by triggers (like `counts`), so the
 * QueueDepth/BytesQueued gauges and `status` read three rows whatever the backlog.
 */
const PRIORITY = `
ALTER TABLE files ADD COLUMN priority INTEGER NOT NULL DEFAULT 1 CHECK (priority IN (0, 1, 2));
DROP INDEX files_ready;
CREATE INDEX files_ready ON files (source, priority, queued_at) WHERE status = 'queued' AND next_attempt_at = 0;

CREATE TABLE queue_by_priority (
  priority INTEGER PRIMARY KEY,
  files    INTEGER NOT NULL,
  bytes    INTEGER NOT NULL
);
INSERT INTO queue_by_priority (priority, files, bytes) VALUES (0, 0, 0), (1, 0, 0), (2, 0, 0);
UPDATE queue_by_priority SET
  files = (SELECT COUNT(*) FROM files WHERE status = 'queued' AND files.priority = queue_by_priority.priority),
  bytes = (SELECT COALESCE(SUM(size), 0) FROM files WHERE status = 'queued' AND files.priority = queue_by_priority.priority);

CREATE TRIGGER files_priority_insert AFTER INSERT ON files WHEN NEW.status = 'queued' BEGIN
  UPDATE queue_by_priority SET files = files + 1, bytes = bytes + NEW.size WHERE priority = NEW.priority;
END;
CREATE TRIGGER files_priority_delete AFTER DELETE ON files WHEN OLD.status = 'queued' BEGIN
  UPDATE queue_by_priority SET files = files - 1, bytes = bytes - OLD.size WHERE priority = OLD.priority;
END;
CREATE TRIGGER files_priority_update AFTER UPDATE OF status, priority, size ON files
  WHEN OLD.status = 'queued' OR NEW.status = 'queued' BEGIN
  UPDATE queue_by_priority SET files = files - 1, bytes = bytes - OLD.size WHERE priority = OLD.priority AND OLD.status = 'queued';
  UPDATE queue_by_priority SET files = files + 1, bytes = bytes + NEW.size WHERE priority = NEW.priority AND NEW.status = 'queued';
END;
`;

/** An optional second dimension per outbox point (DiskUsagePercent per filesystem); NULL = VehicleId only. */
const OUTBOX_DIMENSION = `
ALTER TABLE outbox ADD COLUMN dimension_name TEXT;
ALTER TABLE outbox ADD COLUMN dimension_value TEXT;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'initial schema', sql: V1 },
  { version: 2, description: 'deletion audit', sql: V_DELETION },
  { version: 3, description: 'object key versions, registry tombstones, multipart resume proof', sql: V_DATA_SAFETY },
  { version: 4, description: 'file priorities', sql: PRIORITY },
  { version: 5, description: 'outbox dimension', sql: OUTBOX_DIMENSION },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export interface MigrationResult {
  readonly from: number;
  readonly to: number;
}

/**
 * Applies every pending step. Throws STATE_UNAVAILABLE for a database newer than `steps` know;
 * SQLite errors from a step propagate (the caller maps them and detects corruption).
 */
export function migrate(db: Database.Database, dbPath: string, steps: readonly Migration[] = MIGRATIONS): MigrationResult {
  const from = currentVersion(db);
  const known = steps.length;
  if (from > known) {
    throw new TvmError(
      ErrorCodes.STATE_UNAVAILABLE,
      `state database ${dbPath} has schema version ${from}, newer than this tvm-upload knows (${known}); ` +
        'it was written by a newer release and is not downgraded',
      {
        retriability: 'permanent',
        details: { path: dbPath, version: from, known },
        hint: 'run the newer tvm-upload release again, or move the database aside to start from an empty state',
      },
    );
  }
  steps.forEach((step, i) => {
    if (step.version !== i + 1) {
      throw new TvmError(ErrorCodes.INTERNAL, `migration #${i} declares version ${step.version}, expected ${i + 1}`, {
        retriability: 'permanent',
      });
    }
  });
  for (const step of steps.slice(from)) {
    db.transaction(() => {
      db.exec(step.sql);
      // user_version lives in the database header and is part of this transaction.
      db.pragma(`user_version = ${step.version}`);
    }).immediate();
  }
  return { from, to: Math.max(from, known) };
}

export function currentVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}
