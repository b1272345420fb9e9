/**
 * The engine of one compression request (runs inside a worker thread; callable in-process by tests).
 * It opens and vets the source, decides store-or-compress, and produces every checksum the
 * uploader needs in the same single read of the file:
 *
 *   store:     source ─► StreamHasher(sha256, md5, part md5s)            uploadPath = source
 *   compress:  source ─► HashTap(sha256) ─► codec ─► HashTap(sha256, md5, part md5s) ─► .partial
 *              (rename; no fsync: the spool is a cache)                  uploadPath = outputPath
 *   small:     the whole file is the 1 MiB sample, compressed once in memory; when the request
 *              allows (memoryMaxBytes) the output comes back in `body`: no spool file at all
 *
 * Memory per request is bounded by the stream buffers (a few READ_CHUNK_BYTES), the 1 MiB sample and
 * the codec state, whatever the file size; a `body` is at most memoryMaxBytes (or the source size,
 * when that is smaller). Failures are thrown as CompressFailure; the worker entry turns them into
 * replies.
 */
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadCodec, type CodecImpl } from './codecs.js';
import type { ZstdSource } from './zstd.js';
import { HashTap, StreamHasher, type Digests } from './hashing.js';
import type { CompressRequest, CompressResult } from './protocol.js';
import { isIncompressible, MIN_TRIAL_BYTES, SAMPLE_BYTES, storeReasonBeforeSample, type StoreReason } from './sniff.js';
import { READ_CHUNK_BYTES, SourceFile, type ChunkObserver } from './source-file.js';
import { SpoolFile } from './spool-file.js';

export interface CompressDeps {
  /** Where zstd comes from; tests inject a runtime without it and a failing zstd-napi. */
  readonly zstd?: ZstdSource;
  /** Called after every source chunk is read; tests use it to modify the file mid-pass. */
  readonly onSourceChunk?: ChunkObserver;
  /** Monotonic milliseconds, for elapsedMs. */
  readonly now?: () => number;
}

interface Outcome {
  readonly codec: CompressRequest['codec'];
  readonly storedReason: StoreReason | null;
  readonly uploadPath: string;
  readonly source: Digests;
  readonly output: Digests;
  readonly body?: Uint8Array;
}

/** Whether output bytes may come back in memory: the smaller of source and output within the bound. */
function fitsInMemory(request: CompressRequest, sourceBytes: number, outputBytes: number): boolean {
  const max = request.memoryMaxBytes;
  return max !== undefined && Math.min(sourceBytes, outputBytes) <= max;
}

/**
 * The bytes in an ArrayBuffer of their own, so the worker can move it to the main thread without
 * a copy: a view into Buffer's shared pool or into a larger codec buffer cannot be transferred.
 */
function owned(bytes: Buffer): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes;
  return new Uint8Array(bytes);
}

/**
 * `whole` is the file when the sample already read all of it (hashed from memory, not read again).
 * A file small enough for memory is kept as it is read and handed back in `body`.
 */
async function storeAsIs(request: CompressRequest, src: SourceFile, reason: StoreReason, deps: CompressDeps, whole: Buffer | null = null): Promise<Outcome> {
  const hasher = new StreamHasher({ partSize: request.partSize, prefixBytes: request.prefixSize });
  const kept: Buffer[] | null = fitsInMemory(request, request.expectedSize, request.expectedSize) ? [] : null;
  if (whole !== null) {
    hasher.update(whole);
    kept?.push(whole);
  } else {
    for await (const chunk of src.chunks(deps.onSourceChunk)) {
      hasher.update(chunk);
      kept?.push(chunk);
    }
  }
  const digests = hasher.digest();
  await src.assertUnchanged(digests.bytes);
  const stored = { codec: 'none' as const, storedReason: reason, uploadPath: request.sourcePath, source: digests, output: digests };
  if (kept === null) return stored;
  return { ...stored, body: owned(kept.length === 1 ? (kept[0] as Buffer) : Buffer.concat(kept, digests.bytes)) };
}

/** The whole file was the sample and `output` is its compressed form: hashed here, nothing written. */
async function compressInMemory(request: CompressRequest, src: SourceFile, head: Buffer, output: Buffer): Promise<Outcome> {
  const sourceHasher = new StreamHasher({ prefixBytes: request.prefixSize });
  sourceHasher.update(head);
  const outputHasher = new StreamHasher({ partSize: request.partSize });
  outputHasher.update(output);
  const source = sourceHasher.digest();
  await src.assertUnchanged(source.bytes);
  return { codec: request.codec, storedReason: null, uploadPath: request.sourcePath, source, output: outputHasher.digest(), body: owned(output) };
}

/**
 * `whole` is the compressed file when the sample already was the whole file (small files are
 * compressed once, not twice); otherwise the file is streamed through `codec`.
 */
async function compressToSpool(request: CompressRequest, src: SourceFile, codec: CodecImpl, head: Buffer, whole: Buffer | null, deps: CompressDeps): Promise<Outcome> {
  const spool = await SpoolFile.create(request.outputPath);
  try {
    const sourceTap = new HashTap({ prefixBytes: request.prefixSize });
    const outputTap = new HashTap({ partSize: request.partSize });
    if (whole !== null) {
      sourceTap.hasher.update(head);
      await pipeline(Readable.from([whole]), outputTap, spool.writable());
    } else {
      const source = Readable.from(src.chunks(deps.onSourceChunk), { objectMode: false, highWaterMark: READ_CHUNK_BYTES });
      await pipeline(source, sourceTap, codec.createStream(), outputTap, spool.writable());
    }
    const sourceDigests = sourceTap.hasher.digest();
    // Before the rename: a file that changed mid-pass must leave no output behind.
    await src.assertUnchanged(sourceDigests.bytes);
    await spool.commit();
    return { codec: request.codec, storedReason: null, uploadPath: request.outputPath, source: sourceDigests, output: outputTap.hasher.digest() };
  } catch (err) {
    await spool.discard();
    throw err;
  }
}

async function decideAndRun(request: CompressRequest, src: SourceFile, deps: CompressDeps): Promise<Outcome> {
  if (request.codec === 'none') return storeAsIs(request, src, 'codec-none', deps);
  // No room on the spool's filesystem: send the source as it is rather than fill the disk.
  if (request.noSpool === true) return storeAsIs(request, src, 'spool-full', deps);
  const head = await src.readHead(SAMPLE_BYTES);
  const whole = head.length === request.expectedSize ? head : null;
  const early = storeReasonBeforeSample(request, head);
  if (early !== null) return storeAsIs(request, src, early, deps, whole);
  const codec = await loadCodec(request.codec, request.level, deps.zstd);
  const sample = codec.compress(head);
  if (head.length >= MIN_TRIAL_BYTES && isIncompressible(head.length, sample.length)) return storeAsIs(request, src, 'incompressible', deps, whole);
  if (whole !== null && fitsInMemory(request, whole.length, sample.length)) return compressInMemory(request, src, whole, sample);
  return compressToSpool(request, src, codec, head, whole !== null ? sample : null, deps);
}

/** Runs one request to completion; throws CompressFailure (or an unexpected error) on failure. */
export async function runCompressRequest(request: CompressRequest, deps: CompressDeps = {}): Promise<CompressResult> {
  const now = deps.now ?? (() => performance.now());
  const started = now();
  const src = await SourceFile.open(request.sourcePath, { size: request.expectedSize, mtimeMs: request.expectedMtimeMs });
  try {
    const out = await decideAndRun(request, src, deps);
    const { source, output } = out;
    return {
      kind: 'compressed',
      codec: out.codec,
      storedReason: out.storedReason,
      uploadPath: out.uploadPath,
      sourceSize: source.bytes,
      sourceMtimeMs: src.stat.mtimeMs,
      sourceSha256: source.sha256.toString('hex'),
      outputSize: output.bytes,
      outputSha256: output.sha256.toString('base64'),
      outputMd5: (output.md5 ?? Buffer.alloc(0)).toString('base64'),
      partMd5s: output.partMd5s,
      ...(source.prefixSha256 !== null ? { prefixSha256: source.prefixSha256.toString('hex') } : {}),
      elapsedMs: now() - started,
      ...(out.body !== undefined ? { body: out.body } : {}),
    };
  } finally {
    await src.close();
  }
}
