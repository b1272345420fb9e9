/**
 * Which configured log directory a file belongs to, and its path below it: the source and
 * relative path that become the third level and the tail of the object key. The first directory
 * in config order whose path is a separator-aware prefix of the file wins (`/logs/ros` does not
 * capture `/logs/ros2/x`); a file outside every directory gets source `other` and its basename,
 * as in the reference. Pure string logic: no symlink resolution, no file-system access.
 */
import path from 'node:path';
import type { LogDirectory } from '../config/types.js';

export const OTHER_SOURCE = 'other';

type Dir = Pick<LogDirectory, 'path' | 'source'>;

export interface Location<D extends Dir = LogDirectory> {
  readonly source: string;
  /** '/'-separated, never empty, never starting with '/'. */
  readonly relPath: string;
  /** The matching directory, or null for `other`. */
  readonly dir: D | null;
}

export function locateFile<D extends Dir>(filePath: string, dirs: readonly D[]): Location<D> {
  const file = path.posix.normalize(filePath);
  for (const dir of dirs) {
    const rel = relativeInside(file, dir.path);
    if (rel !== null) return { source: dir.source, relPath: rel, dir };
  }
  return { source: OTHER_SOURCE, relPath: path.posix.basename(file), dir: null };
}

/** `file` relative to `dir` if strictly inside it, else null. */
export function relativeInside(file: string, dir: string): string | null {
  const base = path.posix.normalize(dir);
  const prefix = base.endsWith('/') ? base : `${base}/`;
  if (!file.startsWith(prefix) || file.length === prefix.length) return null;
  return file.slice(prefix.length);
}
