/**
 * The file-system probe the pipeline uses to look at files: injectable so tests can run the
 * stability logic in virtual time against a fake file system.
 */
import { lstat } from 'node:fs/promises';
import { ErrorCodes, TvmError, systemCode } from '../errors.js';
import { classify } from '../sinks/s3/classify.js';

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

/**
 * The upload job's look at a claimed file, where a wrong "gone" would forget it: resolves to null
 * only when lstat says ENOENT/ENOTDIR (the file itself is gone). Any other error (EACCES, EIO,
 * ELOOP …) and anything but a regular file is thrown as a classified TvmError naming the path:
 * the row is kept and the failure logged.
 */
export type SourceStat = (path: string) => FileStat | null | Promise<FileStat | null>;

export const lstatSource: SourceStat = async (path) => {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    const code = systemCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw classify(err, { path });
  }
  if (!st.isFile()) {
    throw new TvmError(ErrorCodes.FILE_UNREADABLE, `${path} is no longer a regular file (${st.isSymbolicLink() ? 'a symbolic link' : 'a directory or special file'})`, {
      retriability: 'permanent',
      details: { path },
      hint: 'only regular files are uploaded; it is looked at again once a day',
    });
  }
  return { size: st.size, mtimeMs: st.mtimeMs };
};
