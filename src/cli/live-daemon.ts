/**
 * The one question every inspection command asks: "is a live tvm-upload daemon running on this
 * state dir, and what is its pid?". One function, so the answer can move to the lock's full owner
 * check (pid, boot id, start time) in one place.
 */
import { readLockPid } from './daemon-pid.js';

export function liveDaemonPid(stateDir: string): number | null {
  return readLockPid(stateDir);
}
