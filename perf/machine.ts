/**
 * Facts about the machine and the checkout a perf run was taken on, stored with its figures:
 * a number means little without the cores, memory, Node version and commit behind it. Git is
 * only read (`--no-optional-locks`, so not even the index is refreshed).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import type { MachineInfo } from './result-types.js';
import { freeGb } from './harness/suite-context.js';
import { REPO } from './harness/runtime.js';

export function machineInfo(): MachineInfo {
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: platform(),
    kernel: release(),
    tmpFreeGb: freeGb(),
  };
}

function git(args: string[]): string | null {
  const r = spawnSync('git', ['--no-optional-locks', ...args], { cwd: REPO, encoding: 'utf8', timeout: 20_000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function gitInfo(): { commit: string | null; dirty: boolean | null } {
  const commit = git(['rev-parse', 'HEAD']);
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  return { commit, dirty: status === null ? null : status !== '' };
}
