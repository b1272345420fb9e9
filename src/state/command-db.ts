/**
 * Opens an existing state database for a short write by a command that runs beside the daemon
 * (`tvm-upload mark`): WAL lets both write, and busy_timeout waits out the daemon's transactions.
 * Refuses a database that does not exist yet or is older than this release's schema, because a
 * command never creates or migrates state (the daemon does, under its lock). Not for inspection
 * (StateReader opens read-only) nor for the daemon itself (StateStore).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, TvmError } from '../errors.js';
import { SCHEMA_VERSION, currentVersion } from './migrations.js';
import { DB_FILE } from './store.js';

export interface CommandDb {
  readonly db: Database.Database;
  readonly dbPath: string;
}

/** The caller closes `db`. Throws STATE_UNAVAILABLE naming the path and what to do. */
export function openStateForCommand(stateDir: string): CommandDb {
  const dbPath = join(stateDir, DB_FILE);
  if (!existsSync(dbPath)) {
    throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `no state database at ${dbPath}: the daemon has not run with state_dir ${stateDir} yet`, {
      retriability: 'operator',
    });
  }
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    const version = currentVersion(db);
    if (version < SCHEMA_VERSION) {
      throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `state database ${dbPath} has schema version ${version}; start the daemon of this release once so it upgrades it (needs ${SCHEMA_VERSION})`, {
        retriability: 'operator',
      });
    }
    return { db, dbPath };
  } catch (err) {
    db.close();
    throw err;
  }
}
