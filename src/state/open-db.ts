/**
 * Opening the SQLite file: connection settings, an integrity probe and migrations, and moving a
 * corrupt file aside. The StateStore decides when to recover; this file knows how.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { migrate, type Migration } from './migrations.js';
import { isCorruptionError } from './sqlite-errors.js';

/** The database was corrupt and has been moved aside to `movedTo`. */
export class CorruptDatabaseError extends Error {
  constructor(
    readonly reason: string,
    readonly movedTo: string,
  ) {
    super(`corrupt database moved to ${movedTo}: ${reason}`);
    this.name = 'CorruptDatabaseError';
  }
}

class QuickCheckFailed extends Error {}

/**
 * Opens (creating if needed) and migrates the database. A corrupt file (SQLITE_CORRUPT /
 * SQLITE_NOTADB, or a quick_check report) is moved aside and CorruptDatabaseError thrown; other
 * errors propagate unmapped. The files are renamed *before* the connection closes: closing the
 * last connection checkpoints and deletes the -wal, and the WAL is worth keeping for forensics.
 */
/** SQLite page cache per connection, KiB (docs/PERFORMANCE.md, memory formula). */
export const SQLITE_CACHE_KIB = 2048;

export function openDatabase(dbPath: string, now: () => number, steps?: readonly Migration[]): Database.Database {
  // Opening only creates or opens the file; pages are first read by the statements below.
  const db = new Database(dbPath, { timeout: 5000 });
  try {
    // WAL: readers (the status command) never block the writer, and a commit is one append.
    db.pragma('journal_mode = WAL');
    // NORMAL under WAL fsyncs the WAL only at checkpoints. A committed transaction survives a
    // process crash (SIGKILL, OOM, panic: the data is in the OS page cache and reaches the WAL
    // file); only an OS crash or power cut can lose the last few commits, and even then the
    // database stays consistent. FULL would add an fsync per commit, the dominant cost of every
    // enqueue/claim/mark on an SD card. What a power cut can lose here is recoverable by design:
    // the startup scan re-finds the files and in-flight rows are re-verified against S3.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // After a checkpoint, shrink a WAL that grew during a burst back to at most 64 MiB.
    db.pragma('journal_size_limit = 67108864');
    // The page cache, bounded here rather than by a build-time default (negative = KiB): it
    // is a term of the memory formula (docs/PERFORMANCE.md). The hot pages are the queue's
    // indexes and the rows a claim touches; a smaller cache would re-read them from the OS
    // page cache on every claim of a large backlog.
    db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
    const check = String(db.pragma('quick_check', { simple: true }));
    if (check !== 'ok') throw new QuickCheckFailed(`quick_check: ${summariseCheck(check)}`);
    migrate(db, dbPath, steps);
    return db;
  } catch (err) {
    let moved: CorruptDatabaseError | null = null;
    try {
      if (err instanceof QuickCheckFailed || isCorruptionError(err)) {
        moved = new CorruptDatabaseError((err as Error).message, moveAside(dbPath, now()));
      }
    } finally {
      db.close();
    }
    throw moved ?? err;
  }
}

/**
 * Renames the database and its -wal/-shm siblings to `<db>.corrupt-<YYYYMMDDTHHMMSS>` (UTC),
 * keeping SQLite's sibling naming (`<name>-wal`) so the copy can still be opened for forensics.
 * Returns the new path of the main file.
 */
export function moveAside(dbPath: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 15);
  let target = `${dbPath}.corrupt-${stamp}`;
  for (let n = 1; exists(target) || exists(`${target}-wal`); n++) target = `${dbPath}.corrupt-${stamp}-${n}`;
  // The WAL goes first: a stale WAL left next to a fresh database would be replayed into it.
  for (const suffix of ['-wal', '-shm', '']) {
    try {
      fs.renameSync(dbPath + suffix, target + suffix);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return target;
}

function exists(p: string): boolean {
  return fs.existsSync(p);
}

/** The first finding of a quick_check report, capped at 200 characters for the log line. */
export function summariseCheck(s: string): string {
  const line = s.split('\n').find((l) => l.trim() !== '' && !l.startsWith('*** in database')) ?? s;
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
