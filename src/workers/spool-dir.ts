/**
 * The spool directory (`<state_dir>/spool`): compressed outputs named `<file id>.gz|.zst|.raw`,
 * written as `… .partial` first (spool-file.ts). The spool is a cache (compression is
 * deterministic), so start-up empties it, but only of files with those names: anything else an
 * operator or another program put there is left alone and reported, and a spool path that is
 * not a real directory (a symbolic link, a file) is refused rather than followed or replaced.
 */
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Codec } from '../config/types.js';
import { ErrorCodes, TvmError, systemCode } from '../errors.js';

const EXT: Record<Codec, string> = { gzip: '.gz', zstd: '.zst', none: '.raw' };
const OURS = /^\d+\.(gz|zst|raw)(\.partial)?$/;

/** The spool file name for a file row and the configured codec. */
export function spoolFileName(fileId: number, codec: Codec): string {
  return `${fileId}${EXT[codec]}`;
}

/** Creates the spool dir if needed and removes the files this daemon writes there; returns names left alone. */
export async function prepareSpool(dir: string): Promise<string[]> {
  try {
    const st = await lstat(dir);
    if (!st.isDirectory()) {
      throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `spool ${dir} is not a directory (${st.isSymbolicLink() ? 'a symbolic link' : 'a file'}); it is not followed or replaced`, {
        retriability: 'operator',
        details: { path: dir },
        hint: 'move it aside; tvm-upload creates the spool directory itself',
      });
    }
  } catch (err) {
    if (systemCode(err) !== 'ENOENT') throw err;
    await mkdir(dir, { recursive: true, mode: 0o750 });
    return [];
  }
  const foreign: string[] = [];
  for (const name of await readdir(dir)) {
    if (OURS.test(name)) await rm(join(dir, name), { force: true });
    else foreign.push(name);
  }
  return foreign;
}
