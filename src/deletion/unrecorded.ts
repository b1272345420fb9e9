/**
 * Files on disk the state store has no row for: never queued because they were older than
 * `scan_existing_files.max_age_days` at the startup scan, or left by a rebuilt database. They
 * are not uploaded, so only the two policies allowed to delete un-uploaded files look at them
 * (critical emergency, age_based with include_not_uploaded), after every recorded candidate.
 *
 * A streaming walk of the watched trees (pipeline/scan.ts: no symlinks followed, the entry's
 * pattern/recursive/dot-file rules applied) keeping only the `limit` oldest: memory is bounded
 * by the limit whatever the tree size; a caller that needs more walks again.
 */
import type { LogDirectory } from '../config/types.js';
import { FileFilter } from '../pipeline/file-filter.js';
import { scanDirectory } from '../pipeline/scan.js';

export interface UnrecordedFile {
  readonly path: string;
  readonly source: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Files per walk. */
export const UNRECORDED_BATCH = 500;

/**
 * The `limit` oldest files (by mtime, then path) below `within` (watched roots from `dirs`)
 * with mtime before `mtimeBelow` and no row according to `known`.
 */
export async function oldestUnrecorded(
  dirs: readonly LogDirectory[],
  within: readonly string[],
  known: (path: string) => boolean,
  mtimeBelow: number,
  limit = UNRECORDED_BATCH,
): Promise<UnrecordedFile[]> {
  const filter = new FileFilter(dirs);
  let kept: UnrecordedFile[] = [];
  const trim = (): void => {
    kept.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : 1));
    kept = kept.slice(0, limit);
  };
  for (let i = 0; i < dirs.length; i++) {
    const dir = dirs[i];
    if (dir === undefined || !within.includes(dir.path)) continue;
    for await (const hit of scanDirectory(filter, i, dir.path, { notBeforeMs: null, onError: () => undefined })) {
      if (hit.mtimeMs >= mtimeBelow || known(hit.path)) continue;
      kept.push({ path: hit.path, source: hit.source, size: hit.size, mtimeMs: hit.mtimeMs });
      if (kept.length >= 2 * limit) trim();
    }
  }
  trim();
  return kept;
}
