// Shared helpers for the config unit tests: a minimal valid document to patch, and parse
// wrappers that pin the environment, home directory and CPU count so results are deterministic.
import { stringify } from 'yaml';
import { ConfigError } from '../../../src/errors.js';
import { caught } from '../../support/caught.js';
import { patched } from '../../support/patch.js';
import { parseConfig, type ParseOptions } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';

export const TEST_ENV: NodeJS.ProcessEnv = { HOME: '/home/tester', USER: 'tester', LOGS: '/data/logs', EMPTY: '' };
export const TEST_OPTS: ParseOptions = { env: TEST_ENV, homedir: '/home/tester', cpuCount: 4 };

/** The smallest valid configuration, as plain data. */
export function minimal(): Record<string, unknown> {
  return {
    vehicle_id: 'vehicle-001',
    log_directories: [{ path: '/logs/ros', source: 'ros' }],
    s3: { bucket: 'tvm-logs', region: 'us-east-1' },
    upload: { schedule: '15:00' },
    disk: { reserved_gb: 5 },
  };
}

type Patch = Record<string, unknown>;

/** `minimal()` with `patch` merged in; a value of `undefined` deletes the key. */
export function withPatch(patch: Patch, base: Record<string, unknown> = minimal()): Record<string, unknown> {
  return patched(base, patch);
}

export function yamlOf(data: unknown): string {
  return stringify(data);
}

export function parse(input: string | Patch, opts: ParseOptions = {}): Config {
  const text = typeof input === 'string' ? input : yamlOf(withPatch(input));
  return parseConfig(text, { ...TEST_OPTS, ...opts });
}

/** The problem lines a document produces; fails the test when it loads. */
export function problemsOf(input: string | Patch, opts: ParseOptions = {}): readonly string[] {
  return caught(() => parse(input, opts), ConfigError).problems;
}
