/**
 * The closed protocol between the main thread and compression workers. Requests and results are
 * plain, structured-cloneable data: a worker gets *paths* and returns *metadata*. The one exception
 * is a small output (CompressRequest.memoryMaxBytes): its bytes come back in CompressResult.body,
 * moved (the ArrayBuffer is transferred, not copied), so a small file costs no spool file at all.
 * Anything else crossing the boundary is a bug and fails loudly.
 */
import type { Codec } from '../config/types.js';

export interface CompressRequest {
  readonly kind: 'compress';
  /** Absolute path of the source file. */
  readonly sourcePath: string;
  /** Where to write the output. Written as `<outputPath>.partial` then renamed. */
  readonly outputPath: string;
  /** Requested codec; the worker may decide to store the file as it is (see CompressResult.codec). */
  readonly codec: Codec;
  readonly level: number;
  /** Lower-case extensions (with dot) never compressed. */
  readonly skipExtensions: readonly string[];
  /** Multipart part size in bytes: the worker computes one MD5 per part of the *output*. */
  readonly partSize: number;
  /** Size and mtime (ms) seen when the file was declared stable; a mismatch aborts with FILE_CHANGED. */
  readonly expectedSize: number;
  readonly expectedMtimeMs: number;
  /** Also hash the first this-many source bytes (CompressResult.prefixSha256): did the file only grow? */
  readonly prefixSize?: number;
  /** Write nothing to the spool: store as is (reason 'spool-full'), uploaded straight from the source. */
  readonly noSpool?: boolean;
  /**
   * Hand the bytes to upload back in CompressResult.body instead of a spool file when they are
   * this small: a file that fits the one-shot sample (sniff.ts SAMPLE_BYTES) whose output or
   * source is at most this many bytes. Omitted: always the spool (or the source, stored as is).
   */
  readonly memoryMaxBytes?: number;
}

export interface CompressResult {
  readonly kind: 'compressed';
  /** Codec actually applied: 'none' when the input was already compressed or did not shrink enough. */
  readonly codec: Codec;
  /** Why the worker stored as-is, if it did: 'magic:<format>' | 'extension' | 'incompressible' | 'codec-none' | 'spool-full'. */
  readonly storedReason: string | null;
  /**
   * Path of the bytes to upload: the spool output path when a spool file was written, otherwise
   * the source path (stored as is, no copy made; or `body` holds the bytes, and the path only
   * names the file in messages).
   */
  readonly uploadPath: string;
  /**
   * The bytes to upload, when the request allowed them in memory (memoryMaxBytes) and they fit:
   * outputSize bytes, hashed as below; nothing was written to the spool.
   */
  readonly body?: Uint8Array;
  readonly sourceSize: number;
  readonly sourceMtimeMs: number;
  /** Hex SHA-256 of the source bytes. */
  readonly sourceSha256: string;
  readonly outputSize: number;
  /** Base64 SHA-256 of the uploaded bytes (x-amz-checksum-sha256 form). */
  readonly outputSha256: string;
  /** Base64 MD5 of the whole uploaded bytes (Content-MD5 form, for a single PUT). */
  readonly outputMd5: string;
  /** Base64 MD5 of each `partSize` slice of the uploaded bytes (Content-MD5 per UploadPart). */
  readonly partMd5s: readonly string[];
  /** Hex SHA-256 of the first CompressRequest.prefixSize source bytes, when asked for and the file is that long. */
  readonly prefixSha256?: string;
  /** Wall milliseconds the request took inside the worker, for telemetry. */
  readonly elapsedMs: number;
}

export interface WorkerFailure {
  readonly kind: 'failed';
  /** A TVM_ERR_* code from src/errors.ts. */
  readonly code: string;
  readonly message: string;
  /** Node system error code (ENOENT, EACCES, ENOSPC …) when there was one. */
  readonly syscallCode: string | null;
}

export type WorkerReply = CompressResult | WorkerFailure;
