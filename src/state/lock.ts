/**
 * One daemon per state dir. A lock file (`tvm-upload.lock`) is created with O_EXCL and holds the
 * owner's pid, the kernel boot id and the process start time; a second daemon finds it and fails
 * with "another tvm-upload (pid N) is using state dir /x".
 *
 * Why a lock file rather than SQLite's `locking_mode = EXCLUSIVE`: the exclusive mode would also
 * shut out read-only inspection (`tvm-upload status` opening the database while the daemon runs),
 * and SQLite's "database is locked" cannot say *who* holds it. The lock file can.
 *
 * A lock left behind by a crash or power cut is stale when its pid no longer runs, when it was
 * written during another boot (vehicles power-cycle, and a pid from the last boot is often reused
 * by an unrelated process), or when the pid now belongs to a process that started later. The
 * lock appears atomically (hard link of a fully written temp file), and a stale lock's content is
 * compared again right before it is removed, to keep the takeover race window tiny.
 *
 * The same judgement answers "which daemon runs on this state dir?" for every command that
 * signals it (`readLiveOwner`), the other way round: a lock the lock would not take over is not
 * necessarily safe to signal. Only an owner whose pid, boot id and start time are all confirmed
 * is live; one that cannot be confirmed (no /proc) is left alone by both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ErrorCodes, TvmError, systemCode } from '../errors.js';

export const LOCK_FILE = 'tvm-upload.lock';

export interface LockOwner {
  readonly pid: number;
  readonly bootId: string | null;
  readonly startTime: string | null;
}

/** Probes of the running system, injectable so staleness rules are testable. */
export interface LockProbes {
  readonly pid: number;
  bootId(): string | null;
  /** Start time of a process (clock ticks since boot, from /proc/<pid>/stat), or null if unknown. */
  startTime(pid: number): string | null;
  /** True if a process with this pid exists (signal 0). */
  alive(pid: number): boolean;
}

export const systemProbes: LockProbes = {
  pid: process.pid,
  bootId: () => readTrimmed('/proc/sys/kernel/random/boot_id'),
  startTime: (pid) => {
    const stat = readTrimmed(`/proc/${pid}/stat`);
    if (stat === null) return null;
    // Field 22 (starttime); the command name in field 2 may contain spaces, so split after ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  },
  alive: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return systemCode(err) === 'EPERM'; // exists, owned by someone else
    }
  },
};

/** State dirs locked by this process: a second open in the same process is refused too. */
const heldHere = new Set<string>();

export interface StateLock {
  readonly file: string;
  release(): void;
}

export type LinkFn = (existing: string, newPath: string) => void;

export function acquireLock(dir: string, probes: LockProbes = systemProbes, link: LinkFn = fs.linkSync): StateLock {
  const file = path.join(dir, LOCK_FILE);
  const key = path.resolve(dir);
  if (heldHere.has(key)) throw lockedError(probes.pid, dir);
  const me: LockOwner = { pid: probes.pid, bootId: probes.bootId(), startTime: probes.startTime(probes.pid) };
  const content = JSON.stringify(me) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createExclusive(file, content, link)) {
      heldHere.add(key);
      return { file, release: () => release(file, key, content) };
    }
    const existing = readTrimmed(file);
    if (existing === null) continue; // vanished between open and read: try again
    const owner = parseOwner(existing);
    if (owner !== null && ownerState(owner, probes) !== 'stale') throw lockedError(owner.pid, dir);
    // Stale (or garbage): remove it only if it still holds what was judged stale.
    if (readTrimmed(file) === existing) fs.rmSync(file, { force: true });
  }
  throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `could not take the lock ${file}: it keeps reappearing`, {
    retriability: 'operator',
    details: { path: file },
  });
}

/**
 * Creates `file` with `content` unless it exists. The content is written to a private temp file
 * first and hard-linked into place, so another process never sees a half-written lock; on
 * filesystems without hard links it falls back to O_EXCL create + write.
 */
function createExclusive(file: string, content: string, link: LinkFn): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeSynced(tmp, content, 'w');
    try {
      link(tmp, file);
      return true;
    } catch (err) {
      const code = systemCode(err);
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  try {
    writeSynced(file, content, 'wx');
    return true;
  } catch (err) {
    if (systemCode(err) === 'EEXIST') return false;
    throw err;
  }
}

function writeSynced(file: string, content: string, flags: string): void {
  const fd = fs.openSync(file, flags, 0o640);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function release(file: string, key: string, content: string): void {
  if (!heldHere.delete(key)) return;
  // Only remove our own lock: never one another process took over after ours was judged stale.
  if (readTrimmed(file) === content.trim()) fs.rmSync(file, { force: true });
}

/**
 * The live tvm-upload daemon holding the lock of `dir`, or null: no lock, a stale one, or an
 * owner that cannot be confirmed. Every command that signals the daemon asks this, right before
 * signalling, so a pid reused by an unrelated process after a power cut is never signalled.
 */
export function readLiveOwner(dir: string, probes: LockProbes = systemProbes): LockOwner | null {
  const text = readTrimmed(path.join(dir, LOCK_FILE));
  const owner = text === null ? null : parseOwner(text);
  if (owner === null) return null;
  if (owner.pid === probes.pid) return heldHere.has(path.resolve(dir)) ? owner : null;
  return ownerState(owner, probes) === 'live' ? owner : null;
}

/**
 * 'stale': provably not the process that wrote the lock (gone, another boot, started later).
 * 'live': the same process, pid, boot and start time all confirmed. 'unverified': alive, but
 * the boot id or a start time is unknown, so neither taking over nor signalling is safe.
 */
function ownerState(owner: LockOwner, probes: LockProbes): 'stale' | 'live' | 'unverified' {
  if (owner.pid === probes.pid) return 'stale'; // ours from an earlier boot: this process does not hold it
  const boot = probes.bootId();
  if (owner.bootId !== null && boot !== null && owner.bootId !== boot) return 'stale';
  if (!probes.alive(owner.pid)) return 'stale';
  const started = probes.startTime(owner.pid);
  if (owner.startTime !== null && started !== null && owner.startTime !== started) return 'stale';
  return owner.bootId !== null && boot !== null && owner.startTime !== null && started !== null ? 'live' : 'unverified';
}

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<Record<keyof LockOwner, unknown>>;
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return null;
    return {
      pid: v.pid,
      bootId: typeof v.bootId === 'string' ? v.bootId : null,
      startTime: typeof v.startTime === 'string' ? v.startTime : null,
    };
  } catch {
    return null;
  }
}

function lockedError(pid: number, dir: string): TvmError {
  return new TvmError(ErrorCodes.STATE_UNAVAILABLE, `another tvm-upload (pid ${pid}) is using state dir ${dir}`, {
    retriability: 'permanent',
    details: { path: dir, pid },
    hint: 'stop the other instance, or give this one a different state_dir',
  });
}

function readTrimmed(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
