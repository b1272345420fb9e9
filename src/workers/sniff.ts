/**
 * Decides whether a file is worth compressing. Pure functions over the request and the first bytes of
 * the file: no I/O here. The order is cheapest first: codec 'none' (checked by the caller), a
 * skipped extension, a known compressed-format signature, and last a trial compression of a
 * sample (done by the caller with the real codec, judged by `isIncompressible`).
 *
 * Files smaller than MIN_TRIAL_BYTES (zero-byte ones included) are always compressed, never judged
 * incompressible: a log is usually born tiny (where gzip's header outweighs any gain) and grows,
 * and a decision that flipped with size would upload the same file under two keys (name and
 * name.gz), leaving a stale object beside the current one. Past a few KiB the content type of a
 * log does not change as it grows, so the trial is stable.
 */
import { basename } from 'node:path';
import type { CompressRequest } from './protocol.js';

/** Bytes read from the start of a file for sniffing and the trial compression. */
export const SAMPLE_BYTES = 1024 * 1024;

/** Below this size a file is compressed without a trial (see the header). */
export const MIN_TRIAL_BYTES = 4096;

/** Output above this fraction of the sample means compression is not worth its CPU. */
export const INCOMPRESSIBLE_RATIO = 0.9;

export type StoreReason = 'codec-none' | 'spool-full' | 'extension' | 'incompressible' | `magic:${string}`;

interface Signature {
  readonly format: string;
  readonly bytes: readonly number[];
}

const SIGNATURES: readonly Signature[] = [
  { format: 'gzip', bytes: [0x1f, 0x8b] },
  { format: 'zstd', bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { format: 'xz', bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { format: 'lz4', bytes: [0x04, 0x22, 0x4d, 0x18] },
  { format: 'zip', bytes: [0x50, 0x4b, 0x03, 0x04] },
  { format: 'zip', bytes: [0x50, 0x4b, 0x05, 0x06] },
  { format: 'zip', bytes: [0x50, 0x4b, 0x07, 0x08] },
  { format: '7z', bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
];

function startsWith(head: Uint8Array, bytes: readonly number[]): boolean {
  if (head.length < bytes.length) return false;
  return bytes.every((b, i) => head[i] === b);
}

/** Compressed container format recognised from the leading bytes, or null. */
export function detectFormat(head: Uint8Array): string | null {
  for (const sig of SIGNATURES) {
    if (startsWith(head, sig.bytes)) return sig.format;
  }
  // "BZh" followed by the block-size digit '1'..'9': the digit keeps plain text that happens to
  // start with "BZh" from being mistaken for bzip2.
  const digit = head[3];
  if (startsWith(head, [0x42, 0x5a, 0x68]) && digit !== undefined && digit >= 0x31 && digit <= 0x39) {
    return 'bzip2';
  }
  return null;
}

/** True when the file name ends with one of the (lower-case, dotted) skipped extensions. */
export function hasSkippedExtension(path: string, skipExtensions: readonly string[]): boolean {
  const name = basename(path).toLowerCase();
  return skipExtensions.some((ext) => ext.length > 0 && name.endsWith(ext));
}

/**
 * Reason to store a file whose request asks for a real codec (the caller handles codec 'none' before
 * reading anything) without a trial compression, or null when the caller should compress a
 * sample and ask `isIncompressible`.
 */
export function storeReasonBeforeSample(request: Pick<CompressRequest, 'sourcePath' | 'skipExtensions'>, head: Uint8Array): StoreReason | null {
  if (hasSkippedExtension(request.sourcePath, request.skipExtensions)) return 'extension';
  const format = detectFormat(head);
  return format === null ? null : `magic:${format}`;
}

export function isIncompressible(sampleBytes: number, compressedBytes: number): boolean {
  return compressedBytes > sampleBytes * INCOMPRESSIBLE_RATIO;
}
