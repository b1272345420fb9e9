/**
 * A read-only dry run of every deletion policy against the state database as it is now, beside
 * a running daemon or without one: `cleanup --dry-run` with a daemon running, and doctor's
 * deletion step. Opens the database read-only (WAL lets it read while the daemon writes), takes
 * no lock, changes nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../config/types.js';
import { ErrorCodes, TvmError } from '../errors.js';
import { DB_FILE } from '../state/store.js';
import { Telemetry } from '../telemetry/events.js';
import type { Logger } from '../telemetry/logger.js';
import { buildDeletion, type DeletionProbes } from './build.js';
import { runDeletionPass, type PassReport } from './pass.js';

export async function dryRunReadOnly(config: Config, logger: Logger, probes: DeletionProbes = {}): Promise<PassReport> {
  const dbPath = join(config.stateDir, DB_FILE);
  if (!existsSync(dbPath)) throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `no state database at ${dbPath}`);
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const { pass } = buildDeletion({
      config, db, dbPath, enqueue: () => undefined, telemetry: new Telemetry(logger), logger, now: Date.now, dryRun: true, ...probes,
    });
    return await runDeletionPass(pass, { trigger: 'cleanup', forceAgeBased: true });
  } finally {
    db.close();
  }
}
