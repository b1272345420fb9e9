/**
 * The file-system probe the pipeline uses to look at files: injectable so tests can run the
 * stability logic in virtual time against a fake file system.
 */
import { lstat } from 'node:fs/promises';

export interface FileStat {
  readonly size: number;
  readonly mtimeMs: number;
}

/** Resolves to the file's size and mtime, or null if it is gone or not a regular file. */
export type StatProbe = (path: string) => FileStat | null | Promise<FileStat | null>;

/**
 * lstat, not stat: symbolic links are never followed (a ROS `latest` link would otherwise upload a
 * run twice, and a link may point outside the watched tree or into a loop).
 */
export const realStatProbe: StatProbe = async (path) => {
  try {
    const st = await lstat(path);
    if (!st.isFile()) return null;
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
};
