/**
 * A file's identity is (size, mtime): the same path with the same identity is the same content
 * for upload purposes, a different one is new content. This module is the one place that decides
 * whether two identities are equal.
 *
 * mtime is kept as Node's `Stats.mtimeMs` exactly (a double, stored as REAL, which round-trips),
 * so two values read by fs.stat from an unchanged file are bit-identical. Values from elsewhere
 * are not: the Python reference recorded `st_mtime` as float *seconds* (sec + nsec·1e-9), and
 * `mtime * 1000` differs from Node's `sec * 1000 + nsec / 1e6` in the last bits, by well under a
 * microsecond (a double near 1.7e9 s has a resolution of ~0.24 µs). Rounding both to whole µs
 * would not fix that (values straddling a .5 µs boundary round apart), so equality is "differs by
 * less than one microsecond". Two genuine writes that leave the same size less than 1 µs apart are
 * not a case worth distinguishing: the stability wait alone is seconds.
 */

/** Tolerance for mtime equality, in ms. */
export const MTIME_TOLERANCE_MS = 0.001;

export function sameMtime(a: number, b: number): boolean {
  return Math.abs(a - b) < MTIME_TOLERANCE_MS;
}

export function sameIdentity(
  a: { readonly size: number; readonly mtimeMs: number },
  b: { readonly size: number; readonly mtimeMs: number },
): boolean {
  return a.size === b.size && sameMtime(a.mtimeMs, b.mtimeMs);
}
