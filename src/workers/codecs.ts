/**
 * The compression codecs a worker can apply: a streaming compressor for the one-pass request and a
 * one-shot compressor for the trial sample. gzip comes from node:zlib; zstd from node:zlib where
 * the runtime has it, else from the optional zstd-napi (zstd.ts decides which, and how a missing
 * one fails).
 */
import { createGzip, gzipSync } from 'node:zlib';
import type { Transform } from 'node:stream';
import { defaultZstdSource, zstdBackend, type ZstdBackend, type ZstdSource } from './zstd.js';

export interface CodecImpl {
  /** A fresh streaming compressor for one file. */
  createStream(): Transform;
  /**
   * One-shot compression of a sample (at most SAMPLE_BYTES): judged for incompressibility, and
   * used as the whole output when the sample is the whole file.
   */
  compress(sample: Uint8Array): Buffer;
}

/** zlib's 16 KiB default output chunk means a thread-pool round trip per 16 KiB; 64 KiB cuts that 4×. */
const GZIP_CHUNK_BYTES = 64 * 1024;

function gzipCodec(level: number): CodecImpl {
  return {
    createStream: () => createGzip({ level, chunkSize: GZIP_CHUNK_BYTES }),
    compress: (sample) => gzipSync(sample, { level }),
  };
}

function zstdCodec(backend: ZstdBackend, level: number): CodecImpl {
  return {
    createStream: () => backend.createStream(level),
    compress: (sample) => backend.compress(sample, level),
  };
}

/** The codec for a request that compresses; 'none' never reaches here (see sniff.ts). */
export async function loadCodec(codec: 'gzip' | 'zstd', level: number, zstd: ZstdSource = defaultZstdSource): Promise<CodecImpl> {
  if (codec === 'gzip') return gzipCodec(level);
  return zstdCodec(await zstdBackend(zstd), level);
}
