/**
 * Shared set-up for the state tests: a fresh temp dir per test, a store opened in it, a logger
 * that captures its JSON lines, and a raw-SQL escape hatch for asserting on what is on disk.
 */
import { silentLogger } from '../../../src/telemetry/logger.js';
import { openStateStore, type StateStore, type StateStoreOptions } from '../../../src/state/store.js';
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
  let dir = '';
  let store: StateStore | null = null;
  beforeEach(() => {
    dir = tempDir();
    store = open(dir);
  });
  afterEach(() => {
    store?.close();
    removeDir(dir);
  });
  return () => store!;
}
