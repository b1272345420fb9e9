/**
 * Turns the failures an operator can cause (full disk, read-only or unwritable state dir, a
 * corrupt database file) into catalogued TvmErrors that name the database path and say what is
 * expected. Everything that leaves the state layer's public methods goes through `toStateError`,
 * so callers never have to know SQLite's error codes. Anything else (a constraint violation is a
 * bug) becomes TVM_ERR_INTERNAL with the original as cause.
 */
import Database from 'better-sqlite3';
import { ErrorCodes, TvmError, systemCode } from '../errors.js';

/** SQLite result codes (primary part) that mean "this file is not a usable database". */
const CORRUPT_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB']);

/** The primary SQLite code of an error (`SQLITE_IOERR_WRITE` → `SQLITE_IOERR`), or undefined. */
export function sqliteCode(err: unknown): string | undefined {
  if (!(err instanceof Database.SqliteError)) return undefined;
  const m = /^SQLITE_[A-Z]+/.exec(err.code);
  return m ? m[0] : err.code;
}

/** True when the error says the database file itself is damaged or not a database. */
export function isCorruptionError(err: unknown): boolean {
  const code = sqliteCode(err);
  return code !== undefined && CORRUPT_CODES.has(code);
}

/**
 * Maps an error thrown while opening or using the database at `dbPath` to a TvmError. TvmErrors
 * pass through unchanged; non-SQLite, non-system errors are returned as they are.
 */
export function toStateError(err: unknown, dbPath: string): unknown {
  if (err instanceof TvmError) return err;
  const details = { path: dbPath };
  const sql = sqliteCode(err);
  if (sql !== undefined) {
    const raw = (err as Error).message;
    switch (sql) {
      case 'SQLITE_FULL':
        return new TvmError(ErrorCodes.DISK_FULL, `state database ${dbPath}: disk full (${raw})`, {
          cause: err,
          details,
          hint: `free space on the filesystem holding ${dbPath}; queued work is kept and resumes once writes succeed`,
        });
      case 'SQLITE_CORRUPT':
      case 'SQLITE_NOTADB':
        return new TvmError(ErrorCodes.STATE_CORRUPT, `state database ${dbPath} is corrupt (${raw})`, {
          cause: err,
          details,
          retriability: 'operator',
          hint: 'restart tvm-upload: a corrupt database is moved aside and rebuilt at start-up',
        });
      case 'SQLITE_CANTOPEN':
      case 'SQLITE_READONLY':
      case 'SQLITE_PERM':
      case 'SQLITE_IOERR':
      case 'SQLITE_AUTH':
        return unavailable(`cannot open or write state database ${dbPath} (${raw})`, err, dbPath);
      case 'SQLITE_BUSY':
      case 'SQLITE_LOCKED':
        return unavailable(`state database ${dbPath} is locked by another process (${raw})`, err, dbPath);
      default:
        return new TvmError(ErrorCodes.INTERNAL, `state database ${dbPath}: ${raw}`, {
          cause: err,
          details,
          retriability: 'permanent',
        });
    }
  }
  const sys = systemCode(err);
  if (sys === 'ENOSPC' || sys === 'EDQUOT') {
    return new TvmError(ErrorCodes.DISK_FULL, `state dir for ${dbPath}: no space left on device (${sys})`, {
      cause: err,
      details,
      hint: `free space on the filesystem holding ${dbPath}`,
    });
  }
  if (sys !== undefined && ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'ENOENT', 'ELOOP', 'EIO'].includes(sys)) {
    return unavailable(`cannot use state database ${dbPath} (${sys}: ${(err as Error).message})`, err, dbPath);
  }
  return err;
}

function unavailable(message: string, cause: unknown, dbPath: string): TvmError {
  return new TvmError(ErrorCodes.STATE_UNAVAILABLE, message, {
    cause,
    details: { path: dbPath },
    retriability: 'operator',
    hint: 'the state dir must exist (or be creatable), be writable by the tvm-upload user and sit on a writable, non-full filesystem',
  });
}

/**
 * Runs `fn` against an open database and maps its failures. A call on a closed store is a
 * lifecycle bug in the caller and says so instead of SQLite's generic "not open" TypeError.
 */
export function guarded<T>(db: Database.Database, dbPath: string, fn: () => T): T {
  if (!db.open) {
    throw new TvmError(ErrorCodes.INTERNAL, `state store ${dbPath} used after close()`, { retriability: 'permanent' });
  }
  try {
    return fn();
  } catch (err) {
    throw toStateError(err, dbPath);
  }
}
