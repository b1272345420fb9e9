/**
 * The durable state of one daemon: `<stateDir>/tvm-upload.db` (SQLite, WAL) behind a lock file,
 * with its repositories. Opening creates the dir, takes the lock, checks integrity, migrates,
 * and rebuilds a corrupt database from scratch (the old file is kept aside); everything an
 * operator can get wrong (unwritable dir, full disk, a second daemon, a newer schema) ends in a
 * catalogued TvmError naming the path.
 *
 * What a rebuild costs: queue and registry are empty, so the startup scan re-discovers every file
 * and the uploader checks S3 before sending (objects already there with a matching checksum are
 * not re-sent). The meta key `recovery_pending` stays set until the caller clears it after its
 * first complete scan, so a crash in between does not lose that "verify first" hint.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { ErrorCodes, TvmError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { FileRepo } from './file-repo.js';
import { KeyRepo } from './key-repo.js';
import { acquireLock, type LockProbes, type StateLock } from './lock.js';
import { MetaRepo } from './meta-repo.js';
import type { Migration } from './migrations.js';
import { MultipartRepo } from './multipart-repo.js';
import { CorruptDatabaseError, moveAside, openDatabase } from './open-db.js';
import { OutboxRepo } from './outbox-repo.js';
import { toStateError } from './sqlite-errors.js';

export const DB_FILE = 'tvm-upload.db';
export const RECOVERY_PENDING_KEY = 'recovery_pending';
/**
 * Epoch ms of the last rebuild from corruption, kept for good: object keys of dates up to then
 * may be taken in S3 without the new database knowing, so uploads of files from before it check
 * the bucket first (see pipeline/upload-job.ts).
 */
export const STATE_REBUILT_AT_KEY = 'state_rebuilt_at';

export interface StateStoreOptions {
  readonly dir: string;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Tests only: a different migration list, other lock probes. */
  readonly migrations?: readonly Migration[];
  readonly lockProbes?: LockProbes;
}

export interface Recovered {
  readonly movedTo: string;
  readonly reason: string;
}

export interface StateStore {
  readonly db: Database.Database;
  readonly dbPath: string;
  readonly files: FileRepo;
  readonly keys: KeyRepo;
  readonly multipart: MultipartRepo;
  readonly outbox: OutboxRepo;
  readonly meta: MetaRepo;
  /** Set when this open found a corrupt database and replaced it. */
  readonly recovered: Recovered | null;
  /** Closes the database and releases the lock. Idempotent. */
  close(): void;
}

export function openStateStore(opts: StateStoreOptions): StateStore {
  const now = opts.now ?? Date.now;
  const dbPath = path.join(opts.dir, DB_FILE);
  let lock: StateLock;
  try {
    fs.mkdirSync(opts.dir, { recursive: true, mode: 0o750 });
    lock = acquireLock(opts.dir, opts.lockProbes);
  } catch (err) {
    throw toStateError(err, dbPath);
  }
  let db: Database.Database | undefined;
  try {
    let recovered: Recovered | null = null;
    // SQLite opens an empty file as a brand-new database, so a state file truncated to zero bytes
    // (a full disk, a filesystem crash) would silently forget every upload: treat it as corrupt.
    const emptied = fileSize(dbPath) === 0;
    try {
      if (emptied) throw new CorruptDatabaseError('the file was empty (0 bytes)', moveAside(dbPath, now()));
      db = openDatabase(dbPath, now, opts.migrations);
    } catch (err) {
      if (!(err instanceof CorruptDatabaseError)) throw err;
      const reason = err.reason;
      recovered = { movedTo: err.movedTo, reason };
      opts.logger.error(
        { path: dbPath, movedTo: recovered.movedTo, reason },
        `state database ${dbPath} was corrupt (${reason}); moved it aside to ${recovered.movedTo} and started ` +
          'a fresh one. Files will be re-discovered by the startup scan; objects already in S3 with a matching ' +
          'checksum are not re-sent',
      );
      db = openDatabase(dbPath, now, opts.migrations);
    }
    const store = new SqliteStateStore(db, dbPath, lock, recovered);
    if (recovered !== null) {
      const at = now();
      store.meta.set(RECOVERY_PENDING_KEY, JSON.stringify({ ...recovered, at }));
      store.meta.set(STATE_REBUILT_AT_KEY, String(at));
    }
    return store;
  } catch (err) {
    if (db?.open === true) db.close();
    lock.release();
    if (err instanceof CorruptDatabaseError) {
      // Corrupt again right after a rebuild: the disk or filesystem itself is failing.
      throw new TvmError(ErrorCodes.STATE_CORRUPT, `state database ${dbPath} is corrupt even after a rebuild: ${err.message}`, {
        cause: err,
        retriability: 'operator',
        details: { path: dbPath },
        hint: 'check the storage device holding the state dir (dmesg, fsck)',
      });
    }
    throw toStateError(err, dbPath);
  }
}

class SqliteStateStore implements StateStore {
  readonly files: FileRepo;
  readonly keys: KeyRepo;
  readonly multipart: MultipartRepo;
  readonly outbox: OutboxRepo;
  readonly meta: MetaRepo;

  constructor(
    readonly db: Database.Database,
    readonly dbPath: string,
    private readonly lock: StateLock,
    readonly recovered: Recovered | null,
  ) {
    this.files = new FileRepo(db, dbPath);
    this.keys = new KeyRepo(db, dbPath);
    this.multipart = new MultipartRepo(db, dbPath);
    this.outbox = new OutboxRepo(db, dbPath);
    this.meta = new MetaRepo(db, dbPath);
  }

  close(): void {
    try {
      if (this.db.open) this.db.close();
    } finally {
      this.lock.release();
    }
  }
}

function fileSize(path: string): number | null {
  try {
    return fs.statSync(path).size;
  } catch {
    return null;
  }
}
