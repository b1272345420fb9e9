/**
 * Decides whether a path belongs to a watched directory entry, and under which relative path:
 * the rules the Python reference applied (basename pattern, dot-files ignored, `recursive: false`
 * keeps subdirectories out) with separator-aware prefixes, so `/logs/ros` never captures
 * `/logs/ros2/x`. First entry in configuration order wins, like the reference.
 */
import { basename, sep } from 'node:path';
import type { LogDirectory } from '../config/types.js';
import { compileGlob, type BasenameMatcher } from './glob.js';
import { PriorityRules } from '../priority/rules.js';
import { DEFAULT_PRIORITY, rankOf, type PriorityRank } from '../priority/priority.js';

export interface Located {
  readonly dirIndex: number;
  readonly source: string;
  /** '/'-separated path below the watched directory. */
  readonly relPath: string;
}

export class FileFilter {
  private readonly matchers: readonly (BasenameMatcher | null)[];
  private readonly priorities: readonly PriorityRules[];

  /** `dirs` may have empty slots (a directory removed by a reload): they accept nothing. */
  constructor(private readonly dirs: readonly (LogDirectory | null)[]) {
    this.matchers = dirs.map((d) => (d === null ? null : compileGlob(d.pattern)));
    this.priorities = dirs.map((d) => new PriorityRules(d));
  }

  /** The rank a file accepted by entry `dirIndex` is queued with (priority_patterns, then priority). */
  priorityOf(dirIndex: number, path: string): PriorityRank {
    return this.priorities[dirIndex]?.rankOf(basename(path)) ?? rankOf(DEFAULT_PRIORITY);
  }

  /** The directory entry that owns `path` and accepts it, or null. */
  locate(path: string): Located | null {
    for (let i = 0; i < this.dirs.length; i++) {
      const hit = this.accepts(i, path);
      if (hit) return hit;
    }
    return null;
  }

  /** Whether entry `dirIndex` accepts `path` (used for events from that entry's own watcher). */
  accepts(dirIndex: number, path: string): Located | null {
    const dir = this.dirs[dirIndex];
    const matcher = this.matchers[dirIndex];
    if (!dir || !matcher) return null;
    const prefix = dir.path.endsWith(sep) ? dir.path : dir.path + sep;
    if (!path.startsWith(prefix)) return null;
    const rel = path.slice(prefix.length);
    if (rel.length === 0) return null;
    const parts = rel.split(sep);
    if (!dir.recursive && parts.length > 1) return null;
    const name = basename(path);
    if (name.startsWith('.')) return null;
    if (!matcher(name)) return null;
    return { dirIndex, source: dir.source, relPath: parts.join('/') };
  }

  /** Whether a directory below entry `dirIndex` may contain accepted files (for scans). */
  descends(dirIndex: number, dirPath: string): boolean {
    const dir = this.dirs[dirIndex];
    if (!dir) return false;
    if (dirPath === dir.path) return true;
    return dir.recursive && dirPath.startsWith(dir.path.endsWith(sep) ? dir.path : dir.path + sep);
  }
}
