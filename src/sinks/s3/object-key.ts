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

// Version n of a key is named by the key repository (state/), which issues versions; the layout of
// a key, versions included, is still read from this one module.
export { isVersionOf, versionedKey } from '../../state/key-version.js';
