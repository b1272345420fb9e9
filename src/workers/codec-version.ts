/**
 * The version of the library behind each codec, recorded with a multipart upload in progress: a
 * library upgrade between two attempts may compress the same source to other bytes, and parts of
 * two different compressions must never be stitched into one object (sinks/s3/multipart.ts).
 * Read on the main thread; workers load the same libraries.
 */
import { createRequire } from 'node:module';
import type { Codec } from '../config/types.js';

const require = createRequire(import.meta.url);

function zstdVersion(): string {
  const builtin = (process.versions as Record<string, string | undefined>).zstd;
  if (builtin !== undefined) return `zstd ${builtin}`;
  try {
    return `zstd-napi ${(require('zstd-napi/package.json') as { version: string }).version}`;
  } catch {
    return 'zstd (library not found)';
  }
}

export function codecVersion(codec: Codec): string {
  if (codec === 'gzip') return `zlib ${process.versions.zlib}`;
  if (codec === 'zstd') return zstdVersion();
  return 'none';
}
