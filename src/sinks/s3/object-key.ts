/**
 * Object keys, pure: `<vehicle_id>/<YYYY-MM-DD>/<source>/<relPath>[.gz|.zst]`, the reference's
 * layout. The date is the LOCAL calendar date of the file's mtime (process time zone unless one
 * is given), for every source. relPath keeps subfolders, '/'-separated.
 *
 * Validation rejects what would make a key ambiguous or hostile: > 1024 UTF-8 bytes, empty,
 * `.` or `..` segments, control characters (\x00-\x1f, \x7f) and unpaired surrogates. Unicode,
 * spaces, %, #, +, leading '-' are valid and left unchanged (the SDK percent-encodes them).
 */
import type { Codec } from '../../config/types.js';
import { ErrorCodes, TvmError } from '../../errors.js';

export const MAX_KEY_BYTES = 1024;

export interface ObjectKeyInput {
  readonly vehicleId: string;
  readonly source: string;
  /** Path below the watched directory, '/'-separated, no leading '/'. */
  readonly relPath: string;
  readonly mtimeMs: number;
  /** Codec actually applied to the bytes (CompressResult.codec). */
  readonly codec: Codec;
  /** IANA zone for the date folder; default: the process time zone. */
  readonly timeZone?: string;
}

export const CODEC_SUFFIX: Readonly<Record<Codec, string>> = { gzip: '.gz', zstd: '.zst', none: '' };

const formatters = new Map<string, Intl.DateTimeFormat>();

/** YYYY-MM-DD of `ms` in `timeZone` (default: process zone). 'en-CA' formats dates as ISO. */
export function localDate(ms: number, timeZone?: string): string {
  if (!Number.isFinite(ms)) {
    throw new TvmError(ErrorCodes.INTERNAL, `invalid mtime ${ms} for the date folder`, { retriability: 'permanent' });
  }
  const k = timeZone ?? '';
  let f = formatters.get(k);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    } catch (err) {
      throw new TvmError(ErrorCodes.INTERNAL, `unknown time zone "${timeZone}"`, { cause: err, retriability: 'permanent' });
    }
    formatters.set(k, f);
  }
  const parts = f.formatToParts(new Date(ms));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f]/;

// In /u mode a surrogate pair is one code point, so \p{Cs} only matches unpaired halves.
const LONE_SURROGATE = /\p{Cs}/u;

function describeChar(s: string): string {
  const m = CONTROL.exec(s);
  if (m === null) return 'a control character';
  const cp = m[0].codePointAt(0) ?? 0;
  return `control character U+${cp.toString(16).toUpperCase().padStart(4, '0')}${cp === 10 ? ' (newline)' : ''}`;
}

/** Throws KEY_INVALID (permanent) when `key` cannot be used; `file` names the file in the message. */
export function validateObjectKey(key: string, file: string): void {
  const fail = (why: string): never => {
    throw new TvmError(ErrorCodes.KEY_INVALID, `cannot upload ${JSON.stringify(file)}: ${why}`, {
      retriability: 'permanent',
      details: { file, key },
      hint: 'rename the file; it stays on disk and is not uploaded',
    });
  };
  if (CONTROL.test(key)) fail(`its object key contains ${describeChar(key)}`);
  if (LONE_SURROGATE.test(key)) fail('its name is not valid Unicode (unpaired surrogate)');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) fail(`its object key is ${bytes} bytes of UTF-8; S3 allows at most ${MAX_KEY_BYTES}`);
  for (const seg of key.split('/')) {
    if (seg === '') fail(`its object key ${JSON.stringify(key)} has an empty path segment`);
    if (seg === '.' || seg === '..') fail(`its object key ${JSON.stringify(key)} has a "${seg}" path segment`);
  }
}

/** Builds and validates the key for one upload. */
export function buildObjectKey(input: ObjectKeyInput): string {
  const date = localDate(input.mtimeMs, input.timeZone);
  const key = `${input.vehicleId}/${date}/${input.source}/${input.relPath}${CODEC_SUFFIX[input.codec]}`;
  validateObjectKey(key, input.relPath);
  return key;
}

/** Digits of a version number: `~0002` … `~9999` sort lexicographically in version order. */
export const VERSION_DIGITS = 4;

/**
 * Version `n` of a key (n ≥ 1; 1 is the key itself). Later versions insert `~NNNN` before the
 * last extension of the file name (`app.log.gz` → `app.log~0002.gz`, `syslog.1` → `syslog~0002.1`),
 * or append it when the name has none (`data` → `data~0002`), so the codec suffix and the
 * content type survive and a plain listing sorts the base first, then versions in order.
 */
export function versionedKey(key: string, n: number): string {
  if (!Number.isInteger(n) || n < 1) {
    throw new TvmError(ErrorCodes.INTERNAL, `invalid object key version ${n}`, { retriability: 'permanent' });
  }
  if (n === 1) return key;
  const at = versionAt(key);
  return `${key.slice(0, at)}~${String(n).padStart(VERSION_DIGITS, '0')}${key.slice(at)}`;
}

/** Where a version tag goes: before the last extension of the file name, else at the end. */
function versionAt(key: string): number {
  const slash = key.lastIndexOf('/');
  const dot = key.lastIndexOf('.');
  // A leading dot (".bashrc") is part of the name, not an extension.
  return dot > slash + 1 ? dot : key.length;
}

const VERSION_TAG = new RegExp(`^~\\d{${VERSION_DIGITS},}$`);

/** True when `key` is `base` itself or one of its versions (versionedKey(base, n)). */
export function isVersionOf(key: string, base: string): boolean {
  if (key === base) return true;
  const at = versionAt(base);
  const head = base.slice(0, at);
  const tail = base.slice(at);
  if (key.length <= base.length || !key.startsWith(head) || !key.endsWith(tail)) return false;
  return VERSION_TAG.test(key.slice(head.length, key.length - tail.length));
}
