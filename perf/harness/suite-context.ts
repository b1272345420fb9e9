/**
 * What every suite receives from the runner, and the small helpers suites share: a private work
 * directory under os.tmpdir() that is always removed, a disk-space check before writing
 * gigabytes, and the load average (other people's work on a shared machine distorts figures, so
 * it is recorded around every suite).
 */
import { mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SuiteResult } from '../result-types.js';
import type { ToolProbe } from './compare-tools.js';
import type { Runtime } from './runtime.js';

export interface SuiteContext {
  readonly quick: boolean;
  readonly runtime: Runtime;
  readonly tools: readonly ToolProbe[];
  /** Whether to run the comparison tools at all (--no-compare skips them). */
  readonly compare: boolean;
  /** Whether to run the extra tuning variants beside the primary one. */
  readonly variants: boolean;
  /** Extra node flags for every daemon run (--node-flag). */
  readonly nodeFlags: readonly string[];
  readonly log: (s: string) => void;
}

export interface Suite {
  readonly name: string;
  readonly description: string;
  /** Left out of the default list (`npm run perf` without --suite): runs only when named (soak: hours). */
  readonly onDemand?: boolean;
  run(ctx: SuiteContext): Promise<SuiteResult>;
}

export function loadavg(): number[] {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/).slice(0, 3).map(Number);
  } catch {
    return [];
  }
}

export function freeGb(dir: string = tmpdir()): number {
  const s = statfsSync(dir);
  return Math.round(((s.bavail * s.bsize) / 2 ** 30) * 10) / 10;
}

/** Throws when the temp file system cannot hold `bytes` (with a margin) for this suite. */
export function ensureDiskSpace(bytes: number, suite: string): void {
  const needGb = (bytes * 1.2) / 2 ** 30 + 1;
  const have = freeGb();
  if (have < needGb) throw new Error(`${suite}: needs about ${needGb.toFixed(1)} GiB free in ${tmpdir()}, only ${have} GiB available`);
}

export async function withWorkDir<T>(suite: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `tvm-perf-${suite}-`));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A suite result for a suite that threw before producing figures. */
export function failedSuite(s: Pick<Suite, 'name' | 'description'>, err: unknown, started: number, before: number[]): SuiteResult {
  return {
    name: s.name,
    description: s.description,
    status: 'failed',
    error: err instanceof Error ? err.message : String(err),
    dataset: null,
    primary: null,
    daemon: [],
    tools: [],
    targets: [],
    serverPeakRssMb: null,
    loadavgBefore: before,
    loadavgAfter: loadavg(),
    durationS: Math.round((performance.now() - started) / 100) / 10,
  };
}
