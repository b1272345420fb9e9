/**
 * The deletion safety layers: the one decision every deletion path (after upload, deferred,
 * age-based, emergency, `cleanup`) asks right before it unlinks a file. The reference applied
 * its four layers only to age-based and critical cleanup, matched protected directories by
 * string prefix (`/variable` was "protected", `/` was not) and followed symlinks; here a file
 * may go only when every rule below holds, checked in this order:
 *
 *   1. the watched directory (and the file's real parent) is not a protected system directory
 *      itself (`/`, `/var`, `/etc` …; matched as whole paths, so `/var/log/tvm` is allowed)
 *   2. the owning directory has `allow_deletion: true`
 *   3. `recursive: false` keeps files in its subdirectories
 *   4. the base name matches the directory's `pattern` (dot-files never do)
 *   5. the path is a regular file, not a symlink, and its real parent lies in the real watched
 *      tree at the same relative place (no symlinked directory on the way)
 *   6. it was not modified within the stability window
 *   7. its row is not in flight (being compressed or uploaded)
 *   8. uploaded rows: size and mtime are still the uploaded ones (else it is new data: the
 *      caller queues it again); rows not uploaded only when the policy explicitly allows it
 *
 * Synchronous on purpose: the executor calls it and unlinks in the same tick, so nothing in this
 * process (an upload claim, an enqueue) can change the file's row in between. It decides; it
 * never deletes.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { LogDirectory } from '../config/types.js';
import { compileGlob, type BasenameMatcher } from '../pipeline/glob.js';
import { sameIdentity } from '../state/identity.js';
import type { FileStatus } from '../state/types.js';

/** Protected system directories: never a watched root, never the parent of a deleted file. */
export const PROTECTED_DIRS: readonly string[] = ['/', '/var', '/etc', '/usr', '/opt', '/sys', '/proc', '/boot', '/dev'];

export type SafetyRule =
  | 'protected-directory'
  | 'outside-watched-directories'
  | 'deletion-not-allowed'
  | 'subdirectory-not-recursive'
  | 'pattern-mismatch'
  | 'not-a-regular-file'
  | 'symlink'
  | 'outside-real-tree'
  | 'recently-modified'
  | 'in-flight'
  | 'changed-since-upload'
  | 'not-uploaded';

/** What the state store knows about the file (null: not recorded). */
export interface RowView {
  readonly status: FileStatus;
  readonly size: number;
  readonly mtimeMs: number;
}

export interface FileView {
  readonly isFile: boolean;
  readonly isSymlink: boolean;
  readonly size: number;
  readonly mtimeMs: number;
}

/** The file-system look-ups the layers need; injectable for tests. null = does not exist. */
export interface SafetyFs {
  lstat(path: string): FileView | null;
  realpath(path: string): string | null;
}

export const realSafetyFs: SafetyFs = {
  lstat: (p) => {
    try {
      const st = lstatSync(p);
      return { isFile: st.isFile(), isSymlink: st.isSymbolicLink(), size: st.size, mtimeMs: st.mtimeMs };
    } catch {
      return null;
    }
  },
  realpath: (p) => {
    try {
      return realpathSync(p);
    } catch {
      return null;
    }
  },
};

export type Verdict =
  | { readonly ok: true; readonly dir: LogDirectory; readonly file: FileView }
  | { readonly ok: false; readonly rule: SafetyRule; readonly detail: string; readonly file: FileView | null };

export interface SafetyRequest {
  readonly path: string;
  readonly row: RowView | null;
  readonly now: number;
  /** True only for policies allowed to remove files not uploaded yet (critical emergency, opt-in age-based). */
  readonly allowNotUploaded: boolean;
}

export function isProtectedDir(dir: string): boolean {
  const normal = dir.length > 1 && dir.endsWith(sep) ? dir.slice(0, -1) : dir;
  return PROTECTED_DIRS.includes(normal);
}

export class SafetyLayers {
  private readonly matchers: readonly BasenameMatcher[];

  constructor(
    private readonly dirs: readonly LogDirectory[],
    private readonly stableMs: number,
    private readonly fs: SafetyFs = realSafetyFs,
  ) {
    this.matchers = dirs.map((d) => compileGlob(d.pattern));
  }

  check(req: SafetyRequest): Verdict {
    const no = (rule: SafetyRule, detail: string, file: FileView | null = null): Verdict => ({ ok: false, rule, detail, file });
    const index = this.ownerIndex(req.path);
    const dir = this.dirs[index];
    const matcher = this.matchers[index];
    if (dir === undefined || matcher === undefined) {
      const outer = this.dirs.find((d) => isBelow(req.path, d.path));
      return outer === undefined
        ? no('outside-watched-directories', 'not below any log_directories entry')
        : no('subdirectory-not-recursive', `in a subdirectory of ${outer.path}, which has recursive: false`);
    }
    if (isProtectedDir(dir.path)) return no('protected-directory', `${dir.path} is a protected system directory`);
    if (!dir.allowDeletion) return no('deletion-not-allowed', `${dir.path} has allow_deletion: false`);
    const rel = relative(dir.path, req.path);
    const name = basename(req.path);
    if (name.startsWith('.') || !matcher(name)) return no('pattern-mismatch', `does not match pattern ${JSON.stringify(dir.pattern)} of ${dir.path}`);

    const file = this.fs.lstat(req.path);
    if (file === null) return no('not-a-regular-file', 'does not exist');
    if (file.isSymlink) return no('symlink', 'is a symbolic link (never followed)', file);
    if (!file.isFile) return no('not-a-regular-file', 'is not a regular file', file);
    const realRoot = this.fs.realpath(dir.path);
    const realParent = this.fs.realpath(dirname(req.path));
    if (realRoot === null || realParent === null || realParent !== join(realRoot, dirname(rel))) {
      return no('outside-real-tree', `its real location ${realParent ?? '?'} is not ${dirname(req.path)} inside ${realRoot ?? dir.path}`, file);
    }
    if (isProtectedDir(realRoot) || isProtectedDir(realParent)) return no('protected-directory', `${realParent} is a protected system directory`, file);
    if (file.mtimeMs > req.now - this.stableMs) return no('recently-modified', 'modified within the stability window', file);

    const row = req.row;
    if (row?.status === 'in_flight') return no('in-flight', 'being compressed or uploaded', file);
    if (row?.status === 'uploaded') {
      if (!sameIdentity(row, file)) return no('changed-since-upload', `size/mtime changed since the upload (${row.size} → ${file.size} bytes)`, file);
      return { ok: true, dir, file };
    }
    if (!req.allowNotUploaded) return no('not-uploaded', row === null ? 'not recorded as uploaded' : 'not uploaded yet', file);
    return { ok: true, dir, file };
  }

  /** The watched root that owns `path`, or null. */
  rootOf(path: string): string | null {
    return this.dirs[this.ownerIndex(path)]?.path ?? null;
  }

  /**
   * The entry that owns a path, as intake decides it: the first in config order that holds it
   * and sees that deep (a directory inside a non-recursive one owns its own files).
   */
  private ownerIndex(path: string): number {
    return this.dirs.findIndex((d) => isBelow(path, d.path) && (d.recursive || !relative(d.path, path).includes(sep)));
  }
}

/** Strictly below `dir`, separator-aware (`/logs/ros2/x` is not below `/logs/ros`). */
export function isBelow(path: string, dir: string): boolean {
  const prefix = dir.endsWith(sep) ? dir : dir + sep;
  return path.startsWith(prefix) && path.length > prefix.length;
}
