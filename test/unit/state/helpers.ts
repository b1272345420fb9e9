/**
 * The state tests' fixtures, in one place: a fresh temp dir per test with a store opened in it,
 * a database left at an earlier schema version (on disk or in memory), plausible enqueue inputs
 * and resume proofs, and a logger that captures its JSON lines. Other suites that need a real
 * store (priority, cli) import them from here too.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { migrate, MIGRATIONS } from '../../../src/state/migrations.js';
import { DB_FILE, openStateStore, type StateStore, type StateStoreOptions } from '../../../src/state/store.js';
import type { EnqueueInput } from '../../../src/state/types.js';
import { removeDir, tempDir as scratchDir } from '../../support/temp-dir.js';
import { capturingLogger, type CapturedLogger } from '../../support/capturing-logger.js';

export { removeDir };

export function tempDir(prefix = 'tvm-state-'): string {
  return scratchDir(prefix);
}

export { capturingLogger, type CapturedLogger };

export function open(dir: string, extra: Partial<StateStoreOptions> = {}): StateStore {
  return openStateStore({ dir, logger: silentLogger(), ...extra });
}

/** A temp dir with a store open in it: `beforeEach(() => ({ dir, store } = storeInTempDir()))`. */
export function storeInTempDir(extra: Partial<StateStoreOptions> = {}, prefix?: string): { dir: string; store: StateStore } {
  const dir = tempDir(prefix);
  return { dir, store: open(dir, extra) };
}

/** The afterEach of storeInTempDir. */
export function closeAndRemove(store: StateStore, dir: string): void {
  store.close();
  removeDir(dir);
}

/**
 * A raw database migrated through the first `steps` migrations (default: all of them), as a
 * release of that schema left it: `<dir>/tvm-upload.db`, or in memory for ':memory:'. The
 * caller adds its rows and closes it.
 */
export function migratedDb(dir: string, steps = MIGRATIONS.length): Database.Database {
  const file = dir === ':memory:' ? dir : join(dir, DB_FILE);
  const db = new Database(file);
  migrate(db, file, MIGRATIONS.slice(0, steps));
  return db;
}

let seq = 0;
/** An EnqueueInput with plausible defaults. */
export function input(over: Partial<EnqueueInput> & { path?: string } = {}): EnqueueInput {
  seq++;
  return {
    path: over.path ?? `/logs/ros/run-${seq}/f${seq}.log`,
    source: 'ros',
    relPath: `run-${seq}/f${seq}.log`,
    size: 100,
    mtimeMs: 1_700_000_000_000.123,
    ...over,
  };
}

/** A multipart resume proof with plausible values. */
export const PROOF = { codec: 'gzip', codecLevel: 6, codecVersion: 'zlib test', outputSha256: 'b3V0cHV0' } as const;

/** Registers a fresh store per test (mocha hooks) and returns a getter for it. */
export function useFreshStore(): () => StateStore {
  let fresh: { dir: string; store: StateStore } | null = null;
  beforeEach(() => (fresh = storeInTempDir()));
  afterEach(() => fresh && closeAndRemove(fresh.store, fresh.dir));
  return () => fresh!.store;
}
