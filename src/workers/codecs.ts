/**
 * The compression codecs a worker can apply: a streaming compressor for the one-pass job and a
 * one-shot compressor for the trial sample. gzip comes from node:zlib; zstd from the optional
 * native dependency zstd-napi, imported lazily (only when a job asks for zstd) through an
 * injectable loader, so a machine without it fails those jobs with CODEC_UNAVAILABLE instead of
 * failing to start.
 */
import { createGzip, gzipSync } from 'node:zlib';
import type { Transform } from 'node:stream';
import { ErrorCodes, systemCode } from '../errors.js';
import { JobFailure } from './failure.js';

type ZstdModule = typeof import('zstd-napi');
type ZstdApi = Pick<ZstdModule, 'CompressStream' | 'compress'>;

/** Imports zstd-napi; tests inject one that fails to exercise the missing-dependency path. */
export type ZstdLoader = () => Promise<unknown>;

export const defaultZstdLoader: ZstdLoader = () => import('zstd-napi');

export interface CodecImpl {
  /** A fresh streaming compressor for one file. */
  createStream(): Transform;
  /**
   * One-shot compression of a sample (at most SAMPLE_BYTES): judged for incompressibility, and
   * used as the whole output when the sample is the whole file.
   */
  compress(sample: Uint8Array): Buffer;
}

// One import per loader per worker thread; a failed import is retried on the next job (the
// operator may have installed the dependency meanwhile).
const zstdCache = new WeakMap<ZstdLoader, Promise<ZstdApi>>();

/** Accepts both shapes of a CommonJS module seen through import(): named exports or `default`. */
function zstdApiOf(mod: unknown): ZstdApi | null {
  for (const candidate of [mod, (mod as { default?: unknown } | null)?.default]) {
    const api = candidate as Partial<ZstdApi> | null | undefined;
    if (typeof api?.CompressStream === 'function' && typeof api.compress === 'function') {
      return api as ZstdApi;
    }
  }
  return null;
}

async function importZstd(loader: ZstdLoader): Promise<ZstdApi> {
  let mod: unknown;
  try {
    mod = await loader();
  } catch (err) {
    const sys = systemCode(err);
    const missing = sys === 'ERR_MODULE_NOT_FOUND' || sys === 'MODULE_NOT_FOUND';
    const message = missing
      ? 'codec zstd needs the optional dependency zstd-napi, which is not installed'
      : `codec zstd needs the optional dependency zstd-napi, which failed to load: ${String((err as Error)?.message ?? err)}`;
    throw new JobFailure(ErrorCodes.CODEC_UNAVAILABLE, message, null, err);
  }
  const api = zstdApiOf(mod);
  if (!api) {
    throw new JobFailure(ErrorCodes.CODEC_UNAVAILABLE, 'codec zstd: zstd-napi loaded but does not export CompressStream/compress');
  }
  return api;
}

function loadZstd(loader: ZstdLoader): Promise<ZstdApi> {
  let pending = zstdCache.get(loader);
  if (pending === undefined) {
    pending = importZstd(loader);
    zstdCache.set(loader, pending);
    pending.catch(() => zstdCache.delete(loader));
  }
  return pending;
}

/** zlib's 16 KiB default output chunk means a thread-pool round trip per 16 KiB; 64 KiB cuts that 4×. */
const GZIP_CHUNK_BYTES = 64 * 1024;

function gzipCodec(level: number): CodecImpl {
  return {
    createStream: () => createGzip({ level, chunkSize: GZIP_CHUNK_BYTES }),
    compress: (sample) => gzipSync(sample, { level }),
  };
}

function zstdCodec(api: ZstdApi, level: number): CodecImpl {
  // The frame checksum lets `zstd -t` and any reader detect corruption of the stored object.
  const params = { compressionLevel: level, checksumFlag: true };
  return {
    createStream: () => new api.CompressStream(params),
    compress: (sample) => api.compress(sample, params),
  };
}

/** The codec for a job that compresses; 'none' never reaches here (see sniff.ts). */
export async function loadCodec(codec: 'gzip' | 'zstd', level: number, zstdLoader: ZstdLoader = defaultZstdLoader): Promise<CodecImpl> {
  if (codec === 'gzip') return gzipCodec(level);
  return zstdCodec(await loadZstd(zstdLoader), level);
}
