/** Finds the pid of the daemon running on a state dir, from the state store's lock file. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK_FILE } from '../state/lock.js';

export function readLockPid(stateDir: string): number | null {
  try {
    const owner = JSON.parse(readFileSync(join(stateDir, LOCK_FILE), 'utf8')) as { pid?: unknown };
    if (typeof owner.pid !== 'number') return null;
    process.kill(owner.pid, 0);
    return owner.pid;
  } catch {
    return null;
  }
}
