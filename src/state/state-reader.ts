/**
 * A read-only view of the state database for inspection (`status`, `upload-now` following a
 * running daemon, the status endpoint). It never takes the lock, never migrates and never writes,
 * so it can run next to a live daemon: WAL lets a reader see the last committed state while the
 * daemon writes. The queries live here, beside the schema they read, rather than in cli/.
 *
 * It is not a second store: everything that changes state goes through StateStore.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, TvmError } from '../errors.js';
import { currentVersion, SCHEMA_VERSION } from './migrations.js';
import { guarded, toStateError } from './sqlite-errors.js';
import { DB_FILE } from './store.js';
import type { FileStatus } from './types.js';

export interface QueueFigures {
  readonly queued: number;
  readonly inFlight: number;
  readonly uploaded: number;
  /** Source bytes of every file queued or in flight. */
  readonly bytesPending: number;
  /** queued_at of the oldest file not yet uploaded, or null. */
  readonly oldestPendingAt: number | null;
}

export interface InFlightFile {
  readonly path: string;
  readonly size: number;
  /** Bytes of multipart parts the server has confirmed; 0 for a single PUT still being sent. */
  readonly bytesConfirmed: number;
  /** Size of what is being uploaded (after compression) when a multipart upload records it, else null. */
  readonly uploadBytes: number | null;
}

export interface RetryingFile {
  readonly path: string;
  readonly attempts: number;
  readonly code: string | null;
  readonly error: string | null;
  readonly nextAttemptAt: number;
}

export interface UploadedSince {
  readonly files: number;
  readonly bytes: number;
}

export interface UploadedFile {
  readonly path: string;
  readonly objectKey: string | null;
  readonly size: number;
  readonly uploadedAt: number;
}

const SQL = {
  counts: `SELECT (SELECT n FROM counts WHERE name = 'queued') AS queued,
    (SELECT n FROM counts WHERE name = 'in_flight') AS inFlight,
    (SELECT n FROM counts WHERE name = 'uploaded') AS uploaded`,
  pendingBytes: `SELECT COALESCE(SUM(size), 0) AS bytes, MIN(queued_at) AS oldest FROM files INDEXED BY files_queued
    WHERE status = 'queued'`,
  inFlightBytes: `SELECT COALESCE(SUM(size), 0) AS bytes, MIN(queued_at) AS oldest FROM files INDEXED BY files_in_flight
    WHERE status = 'in_flight'`,
  inFlight: `SELECT f.path, f.size,
      COALESCE((SELECT SUM(p.size) FROM multipart_parts p WHERE p.file_id = f.id), 0) AS bytesConfirmed,
      m.upload_path AS uploadPath
    FROM files f INDEXED BY files_in_flight LEFT JOIN multipart m ON m.file_id = f.id
    WHERE f.status = 'in_flight' ORDER BY f.queued_at LIMIT ?`,
  retrying: `SELECT path, attempts, last_error_code AS code, last_error AS error, next_attempt_at AS nextAttemptAt
    FROM files INDEXED BY files_queued WHERE status = 'queued' AND attempts > 0 ORDER BY queued_at LIMIT ?`,
  queueHead: `SELECT path, size, queued_at AS queuedAt FROM files INDEXED BY files_queued
    WHERE status = 'queued' ORDER BY queued_at LIMIT ?`,
  uploadedSince: `SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes FROM files INDEXED BY files_uploaded_at
    WHERE status = 'uploaded' AND uploaded_at >= ?`,
  uploadedList: `SELECT path, object_key AS objectKey, size, uploaded_at AS uploadedAt FROM files INDEXED BY files_uploaded_at
    WHERE status = 'uploaded' AND uploaded_at >= ? ORDER BY uploaded_at LIMIT ?`,
  meta: 'SELECT value FROM meta WHERE key = ?',
  byPath: 'SELECT status, size, mtime_ms AS mtimeMs FROM files WHERE path = ?',
  nextRetry: `SELECT MIN(next_attempt_at) AS t FROM files INDEXED BY files_waiting
    WHERE status = 'queued' AND next_attempt_at <> 0 AND attempts < ?`,
} as const;

export class StateReader {
  private constructor(
    /** Read-only connection (inspection commands that run their own read-only queries). */
    readonly db: Database.Database,
    readonly dbPath: string,
    private readonly owned = true,
  ) {}

  /** Reads through a connection the caller owns (the daemon's own store); close() leaves it open. */
  static over(db: Database.Database, dbPath: string): StateReader {
    return new StateReader(db, dbPath, false);
  }

  /**
   * Opens `<stateDir>/tvm-upload.db` read-only. Throws STATE_UNAVAILABLE naming the path when
   * there is no database yet or it was written by a newer release.
   */
  static open(stateDir: string): StateReader {
    const dbPath = path.join(stateDir, DB_FILE);
    if (!fs.existsSync(dbPath)) {
      throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `no state database at ${dbPath}: tvm-upload has not run with state_dir ${stateDir} yet`, {
        retriability: 'permanent',
        details: { path: dbPath },
        hint: 'start the daemon or run `tvm-upload upload-now` once; check state_dir in the configuration',
      });
    }
    let db: Database.Database;
    try {
      db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 5000 });
    } catch (err) {
      throw toStateError(err, dbPath);
    }
    const reader = new StateReader(db, dbPath);
    const version = reader.guard(() => currentVersion(db));
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `state database ${dbPath} has schema version ${version}, newer than this tvm-upload knows (${SCHEMA_VERSION})`, {
        retriability: 'permanent',
        details: { path: dbPath, version },
        hint: 'use the tvm-upload release that wrote it',
      });
    }
    return reader;
  }

  /** Counts and the pending backlog; one read transaction so the figures agree with each other. */
  queue(): QueueFigures {
    return this.guard(() =>
      this.db.transaction(() => {
        const c = this.db.prepare(SQL.counts).get() as { queued: number; inFlight: number; uploaded: number } | undefined;
        const q = this.db.prepare(SQL.pendingBytes).get() as { bytes: number; oldest: number | null };
        const f = this.db.prepare(SQL.inFlightBytes).get() as { bytes: number; oldest: number | null };
        const oldest = [q.oldest, f.oldest].filter((t): t is number => t !== null);
        return {
          queued: c?.queued ?? 0,
          inFlight: c?.inFlight ?? 0,
          uploaded: c?.uploaded ?? 0,
          bytesPending: q.bytes + f.bytes,
          oldestPendingAt: oldest.length === 0 ? null : Math.min(...oldest),
        };
      })(),
    );
  }

  inFlight(limit = 50): InFlightFile[] {
    return this.guard(() => {
      const rows = this.db.prepare(SQL.inFlight).all(limit) as Array<{ path: string; size: number; bytesConfirmed: number; uploadPath: string | null }>;
      return rows.map((r) => ({ path: r.path, size: r.size, bytesConfirmed: r.bytesConfirmed, uploadBytes: r.uploadPath === null ? null : sizeOf(r.uploadPath) }));
    });
  }

  /** The oldest queued files, oldest first (the status page's queue). */
  queueHead(limit = 20): Array<{ path: string; size: number; queuedAt: number }> {
    return this.guard(() => this.db.prepare(SQL.queueHead).all(limit) as Array<{ path: string; size: number; queuedAt: number }>);
  }

  /** Queued files that have failed at least once, oldest first. */
  retrying(limit = 20): RetryingFile[] {
    return this.guard(() => this.db.prepare(SQL.retrying).all(limit) as RetryingFile[]);
  }

  uploadedSince(sinceMs: number): UploadedSince {
    return this.guard(() => this.db.prepare(SQL.uploadedSince).get(sinceMs) as UploadedSince);
  }

  /** Files uploaded at or after `sinceMs`, oldest first (upload-now following a daemon's pass). */
  uploadedFilesSince(sinceMs: number, limit = 10_000): UploadedFile[] {
    return this.guard(() => this.db.prepare(SQL.uploadedList).all(sinceMs, limit) as UploadedFile[]);
  }

  /** The row for `path` (queue or registry), or null. */
  entry(path: string): { status: FileStatus; size: number; mtimeMs: number } | null {
    return this.guard(() => (this.db.prepare(SQL.byPath).get(path) as { status: FileStatus; size: number; mtimeMs: number } | undefined) ?? null);
  }

  /** Earliest retry time of a queued file that has failed fewer than `maxAttempts` times, or null. */
  nextRetryAt(maxAttempts: number): number | null {
    return this.guard(() => (this.db.prepare(SQL.nextRetry).get(maxAttempts) as { t: number | null }).t);
  }

  meta(key: string): string | null {
    return this.guard(() => (this.db.prepare(SQL.meta).get(key) as { value: string } | undefined)?.value ?? null);
  }

  close(): void {
    if (this.owned && this.db.open) this.db.close();
  }

  private guard<T>(fn: () => T): T {
    return guarded(this.db, this.dbPath, fn);
  }
}

function sizeOf(p: string): number | null {
  try {
    return fs.statSync(p).size;
  } catch {
    return null;
  }
}
