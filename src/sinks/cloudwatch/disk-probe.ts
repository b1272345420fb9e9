/**
 * The default `DiskUsagePercent` probe: how full the filesystem holding the logs is, measured
 * with statfs on the first log directory (the reference measured `/`, which on vehicles is often
 * a different filesystem from the log disk). A directory that does not exist yet is measured
 * through its nearest existing ancestor. Any failure yields null: the metric is then left out
 * of that interval rather than reported wrongly.
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

export type DiskProbe = () => number | null;

export interface StatfsLike {
  readonly blocks: number;
  readonly bfree: number;
}

/**
 * used / total × 100, the reference's definition (it differs from `df`, which leaves out the
 * root-reserved blocks), so dashboards and the disk thresholds keep their meaning.
 */
export function usedPercent(s: StatfsLike): number | null {
  if (!(s.blocks > 0) || !(s.bfree >= 0) || s.bfree > s.blocks) return null;
  return ((s.blocks - s.bfree) / s.blocks) * 100;
}

export function statfsDiskProbe(path: string, statfs: (p: string) => StatfsLike = statfsSync): DiskProbe {
  return () => {
    for (let p = path, i = 0; i < 64; i++) {
      try {
        return usedPercent(statfs(p));
      } catch (err) {
        const parent = dirname(p);
        if ((err as { code?: unknown }).code !== 'ENOENT' || parent === p) return null;
        p = parent;
      }
    }
    return null;
  };
}
