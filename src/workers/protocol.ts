/**
 * The closed protocol between the main thread and compression workers. Requests and results are
 * plain, structured-cloneable data: a worker gets *paths* and returns *metadata*, never file
 * contents. Anything else crossing the boundary is a bug and fails loudly.
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
}

export interface CompressResult {
  readonly kind: 'compressed';
  /** Codec actually applied: 'none' when the input was already compressed or did not shrink enough. */
  readonly codec: Codec;
  /** Why the worker stored as-is, if it did: 'magic:<format>' | 'extension' | 'incompressible' | 'codec-none' | 'spool-full'. */
  readonly storedReason: string | null;
  /**
   * Path of the bytes to upload. Equals the source path when codec is 'none' (no copy is made);
   * otherwise the spool output path.
   */
  readonly uploadPath: string;
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
