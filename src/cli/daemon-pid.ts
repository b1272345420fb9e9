/**
 * Finds and signals the daemon running on a state dir. Both go through the lock's own owner
 * check (state/lock.ts `readLiveOwner`: pid, boot id and process start time), so a stale lock
 * whose pid now belongs to another process is never taken for the daemon.
 */
import { readLiveOwner, systemProbes, type LockProbes } from '../state/lock.js';

export function readLockPid(stateDir: string, probes: LockProbes = systemProbes): number | null {
  return readLiveOwner(stateDir, probes)?.pid ?? null;
}

/**
 * Sends `signal` to the live daemon of `stateDir`, checked right before sending. Returns its pid,
 * or null (nothing was sent) when no live daemon holds the lock.
 */
export function signalDaemon(
  stateDir: string,
  signal: NodeJS.Signals,
  probes: LockProbes = systemProbes,
  kill: (pid: number, signal: NodeJS.Signals) => void = (pid, s) => process.kill(pid, s),
): number | null {
  const pid = readLockPid(stateDir, probes);
  if (pid === null) return null;
  kill(pid, signal);
  return pid;
}
