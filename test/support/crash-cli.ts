/**
 * The CLI as a short-lived child (status, check-config, run with a bad config) and read-only
 * looks into a state database another process owns. Children are always spawned asynchronously
 * with childEnv(): s3rver lives in the test process, so a synchronous spawn would deadlock any
 * child that talks to it, and children must not write coverage.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cliArgs } from './daemon-process.js';
import { childEnv } from './child-env.js';

export interface CliResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the child had to be killed at the deadline. */
  readonly timedOut: boolean;
}

/**
 * Runs `tvm-upload <args>` from source (through tsx, or `nodeArgs` to choose another way to load
 * the same CLI); kills it (SIGKILL) after `timeoutMs`.
 */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
  nodeArgs: (a: readonly string[]) => string[] = cliArgs,
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs(args), {
      env: childEnv({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, timedOut });
    });
  });
}

export interface StatusJson {
  readonly daemon: string;
  readonly queued: number;
  readonly inFlight: number;
  readonly uploaded: number;
}

/** `tvm-upload status --json`, or null when it failed (e.g. no database yet). */
export async function statusJson(config: string, env: NodeJS.ProcessEnv = {}): Promise<StatusJson | null> {
  const r = await runCli(['status', '--config', config, '--json'], env);
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout) as StatusJson;
  } catch {
    return null;
  }
}

export const STATE_DB = 'tvm-upload.db';

/** Opens `<stateDir>/tvm-upload.db` read-only, runs `fn`, closes. */
export function withStateDb<T>(stateDir: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(stateDir, STATE_DB), { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Runs `tasks` with at most `limit` in flight; results in task order. */
export async function pooled<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  return results;
}
