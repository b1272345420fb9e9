/**
 * Disk usage of the filesystem that holds a path, measured with statfs the way `df` does. One
 * probe for everything that asks "how full is this disk": the spool's free-space check before a
 * compression, the deletion policies' thresholds, `status`, and the DiskUsagePercent metric.
 * It knows nothing of policies; it measures. A path that does not exist yet is measured through
 * its nearest existing ancestor (a watched directory created later lives on that filesystem).
 */
import { statfs as statfsAsync, stat as statAsync } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** The statfs fields we read (node:fs StatsFs, numbers). */
export interface StatfsLike {
  readonly bsize: number;
  readonly blocks: number;
  readonly bfree: number;
  readonly bavail: number;
}

export interface DiskUsage {
  /** The path that was actually measured (the nearest existing ancestor of the one asked for). */
  readonly measuredPath: string;
  /** st_dev of that path: two paths with the same device are on the same filesystem. */
  readonly device: number;
  readonly totalBytes: number;
  /** Bytes an unprivileged writer can still use (statfs f_bavail), what `df` calls "Avail". */
  readonly availableBytes: number;
  readonly usedBytes: number;
  /** `df`'s Use%: used ÷ (used + available) × 100, not rounded (df rounds up). */
  readonly usedPercent: number;
}

export interface DiskUsageIo {
  statfs(path: string): Promise<StatfsLike>;
  device(path: string): Promise<number>;
}

export const realDiskUsageIo: DiskUsageIo = {
  statfs: (p) => statfsAsync(p),
  device: async (p) => (await statAsync(p)).dev,
};

/** df's arithmetic on one statfs answer; null for an answer no real filesystem gives. */
export function usageFromStatfs(s: StatfsLike): Omit<DiskUsage, 'measuredPath' | 'device'> | null {
  const ok = (n: number): boolean => Number.isFinite(n) && n >= 0;
  if (!ok(s.bsize) || !(s.blocks > 0) || !ok(s.bfree) || !ok(s.bavail) || s.bfree > s.blocks || s.bavail > s.bfree) return null;
  const used = (s.blocks - s.bfree) * s.bsize;
  const avail = s.bavail * s.bsize;
  const denom = used + avail;
  return {
    totalBytes: s.blocks * s.bsize,
    availableBytes: avail,
    usedBytes: used,
    usedPercent: denom === 0 ? 0 : (used / denom) * 100,
  };
}

/** Usage of the filesystem holding `path`; throws only when no ancestor can be measured. */
export async function diskUsage(path: string, io: DiskUsageIo = realDiskUsageIo): Promise<DiskUsage> {
  let p = resolve(path);
  for (let i = 0; i < 256; i++) {
    try {
      const s = await io.statfs(p);
      const u = usageFromStatfs(s);
      if (u === null) throw new Error(`statfs of ${p} gave an impossible answer (blocks ${s.blocks}, free ${s.bfree}, avail ${s.bavail})`);
      return { measuredPath: p, device: await io.device(p), ...u };
    } catch (err) {
      const parent = dirname(p);
      if ((err as { code?: unknown }).code !== 'ENOENT' || parent === p) throw err;
      p = parent;
    }
  }
  throw new Error(`no existing ancestor of ${path}`);
}
