/**
 * Permission tests when the suite runs as root (CI containers do): root reads a chmod 000 file
 * anyway, so such a test runs its body as an unprivileged user instead of being skipped.
 */
import { readFileSync } from 'node:fs';

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Runs `fn` as an unprivileged user when the tests run as root, so a permission check meets a
 * real EACCES instead of being skipped. The effective uid/gid change is process-wide (glibc
 * applies it to every thread, libuv's pool included) and is undone in `finally`; nothing else
 * runs meanwhile because mocha runs one test at a time. As non-root, `fn` just runs.
 */
export async function asUnprivileged<T>(user: { uid: number; gid: number }, fn: () => Promise<T>): Promise<T> {
  if (!isRoot()) return fn();
  process.setegid!(user.gid);
  process.seteuid!(user.uid);
  try {
    return await fn();
  } finally {
    process.seteuid!(0);
    process.setegid!(0);
  }
}

/** The uid and gid of a user in /etc/passwd, or null when there is none. */
export function localUser(name: string, passwd = '/etc/passwd'): { uid: number; gid: number } | null {
  let text: string;
  try {
    text = readFileSync(passwd, 'utf8');
  } catch {
    return null;
  }
  const fields = text.split('\n').map((l) => l.split(':')).find((f) => f[0] === name);
  return fields === undefined || fields.length < 4 ? null : { uid: Number(fields[2]), gid: Number(fields[3]) };
}
