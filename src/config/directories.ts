/**
 * Rules across `log_directories` entries, applied after each entry's path has been expanded and
 * normalised: the reference's source guess for legacy string entries, unique sources, no two
 * entries for the same directory, and no directory inside a recursive one (a file there would
 * belong to two sources; the reference silently let the first entry win). A directory inside a
 * non-recursive one is fine: the outer entry only sees its own top level.
 */
import path from 'node:path';

/** An entry as the schema produced it: `source` is null for legacy strings until guessed. */
export interface DirectoryEntry {
  readonly path: string;
  readonly source: string | null;
  readonly recursive: boolean;
  readonly legacy: boolean;
}

export interface DirectoryProblem {
  /** Relative to `log_directories`: `[i]` or `[i, 'path']` / `[i, 'source']`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * The reference's guess for a legacy entry (first hit wins, case-insensitive): "terminal" →
 * terminal, ".ros/log" or "ros_log" → ros, "ros2" → ros2, starts with /var/log → syslog, else
 * the directory's base name with every character outside [A-Za-z0-9_] replaced by "_" (the
 * reference used the raw base name, which could break the source rule). Null for "/".
 */
export function guessSource(dir: string): string | null {
  const lower = dir.toLowerCase();
  if (lower.includes('terminal')) return 'terminal';
  if (lower.includes('.ros/log') || lower.includes('ros_log')) return 'ros';
  if (lower.includes('ros2')) return 'ros2';
  if (lower.startsWith('/var/log')) return 'syslog';
  const base = path.basename(dir);
  return base === '' ? null : base.replace(/[^A-Za-z0-9_]/g, '_');
}

/** True when `inner` lies strictly below `outer` (separator-aware: /a/bc is not inside /a/b). */
export function isInside(inner: string, outer: string): boolean {
  if (inner === outer) return false;
  return outer === path.sep ? inner.startsWith(path.sep) : inner.startsWith(outer + path.sep);
}

/**
 * Every cross-entry problem; entries that failed their own validation are passed as null. An
 * entry that repeats an earlier directory is reported once, as a duplicate, and otherwise
 * ignored so its consequences (same source, same nesting) are not reported twice.
 */
export function checkDirectories(entries: readonly (DirectoryEntry | null)[]): DirectoryProblem[] {
  const problems: DirectoryProblem[] = [];
  const firstWithPath = new Map<string, number>();
  const distinct: [number, DirectoryEntry][] = [];
  entries.forEach((entry, i) => {
    if (entry === null) return;
    const first = firstWithPath.get(entry.path);
    if (first === undefined) {
      firstWithPath.set(entry.path, i);
      distinct.push([i, entry]);
    } else {
      problems.push({ path: [i, 'path'], message: `${JSON.stringify(entry.path)} is the same directory as log_directories[${first}]` });
    }
  });
  const sourceOwner = new Map<string, number>();
  for (const [i, entry] of distinct) {
    const source = entry.legacy ? guessSource(entry.path) : entry.source;
    if (source === null) {
      problems.push({ path: [i], message: `cannot guess a source for ${JSON.stringify(entry.path)}; write this entry as {path, source}` });
      continue;
    }
    const owner = sourceOwner.get(source);
    if (owner === undefined) {
      sourceOwner.set(source, i);
    } else if (entry.legacy) {
      // The reference accepted this (its own config.production.yaml does it) and uploaded both
      // directories under the same source, so a drop-in must too; resolve.ts warns about it.
      continue;
    } else {
      problems.push({ path: [i, 'source'], message: `${JSON.stringify(source)} is already used by log_directories[${owner}]` });
    }
  }
  for (const [j, inner] of distinct) {
    for (const [i, outer] of distinct) {
      if (outer.recursive && isInside(inner.path, outer.path)) {
        problems.push({
          path: [j, 'path'],
          message: `${JSON.stringify(inner.path)} is inside log_directories[${i}] (${JSON.stringify(outer.path)}), which is recursive, so its files would belong to two sources; set recursive: false on log_directories[${i}] or remove one entry`,
        });
      }
    }
  }
  return problems;
}

/**
 * Why `stateDir` cannot be used with these watched directories, or null. Inside one, the daemon
 * would upload its own database and spool (and a start-up spool wipe would run inside a log
 * tree); containing one, its files would sit among the logs.
 */
export function stateDirProblem(stateDir: string, watched: readonly (string | null)[]): string | null {
  for (const [i, dir] of watched.entries()) {
    if (dir === null) continue;
    const where = `log_directories[${i}] (${JSON.stringify(dir)})`;
    if (stateDir === dir) return `is the watched directory ${where}; choose a state_dir outside every watched directory`;
    if (isInside(stateDir, dir)) return `is inside the watched directory ${where}: its database and spool would be uploaded; choose a state_dir outside every watched directory`;
    if (isInside(dir, stateDir)) return `contains the watched directory ${where}; choose a state_dir that neither is nor contains a watched directory`;
  }
  return null;
}
