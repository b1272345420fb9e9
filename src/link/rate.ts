/**
 * Bandwidth values in rclone's `--bwlimit` notation, so fleet tooling can reuse what operators
 * already write for rclone: a number is KiB/s; a suffix B, K, M, G, T or P (either case) means
 * bytes, KiB, MiB, GiB, TiB, PiB per second; `off` means unlimited. rclone's `UP:DOWN` pair is
 * accepted and its upload side used (this daemon only uploads). Returns bytes per second, null
 * for `off`, or a rule string saying what is wrong.
 */

const UNITS: Readonly<Record<string, number>> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
const WHOLE_NUMBER = /^\d+$/;
const DECIMAL = /^\d+\.\d+$/;

export type ParsedRate = { readonly ok: true; readonly bytesPerSecond: number | null } | { readonly ok: false; readonly rule: string };

export function parseRate(text: string): ParsedRate {
  const upload = text.trim().split(':')[0]!.trim();
  if (upload.toLowerCase() === 'off') return { ok: true, bytesPerSecond: null };
  const last = upload.slice(-1).toLowerCase();
  const unit = UNITS[last] === undefined ? 'k' : last;
  const digits = UNITS[last] === undefined ? upload : upload.slice(0, -1);
  if (!WHOLE_NUMBER.test(digits) && !DECIMAL.test(digits)) {
    return { ok: false, rule: 'is not a bandwidth like "512k", "4M", "1.5M" or "off" (rclone --bwlimit units: a number is KiB/s; B, K, M, G suffixes are bytes, KiB, MiB, GiB per second)' };
  }
  const bytes = Math.floor(Number(digits) * UNITS[unit]!);
  if (bytes <= 0) return { ok: false, rule: 'must be above 0 (write "off" for unlimited)' };
  return { ok: true, bytesPerSecond: bytes };
}
