/**
 * The engine of one compression request (runs inside a worker thread; callable in-process by tests).
 * It opens and vets the source, decides store-or-compress, and produces every checksum the
 * uploader needs in the same single read of the file:
 *
 *   store:     source ─► StreamHasher(sha256, md5, part md5s)            uploadPath = source
 *   compress:  source ─► HashTap(sha256) ─► codec ─► HashTap(sha256, md5, part md5s) ─► .partial
 *              (rename; no fsync: the spool is a cache)                  uploadPath = outputPath
 *
 * Memory per request is bounded by the stream buffers (a few READ_CHUNK_BYTES), the 1 MiB sample and
 * the codec state, whatever the file size. Failures are thrown as CompressFailure; the worker entry
 * turns them into replies.
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
}

async function storeAsIs(request: CompressRequest, src: SourceFile, reason: StoreReason, deps: CompressDeps): Promise<Outcome> {
  const hasher = new StreamHasher({ partSize: request.partSize, prefixBytes: request.prefixSize });
  for await (const chunk of src.chunks(deps.onSourceChunk)) hasher.update(chunk);
  const digests = hasher.digest();
  await src.assertUnchanged(digests.bytes);
  return { codec: 'none', storedReason: reason, uploadPath: request.sourcePath, source: digests, output: digests };
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
  const early = storeReasonBeforeSample(request, head);
  if (early !== null) return storeAsIs(request, src, early, deps);
  const codec = await loadCodec(request.codec, request.level, deps.zstd);
  const sample = codec.compress(head);
  if (head.length >= MIN_TRIAL_BYTES && isIncompressible(head.length, sample.length)) return storeAsIs(request, src, 'incompressible', deps);
  const headIsWholeFile = head.length === request.expectedSize;
  return compressToSpool(request, src, codec, head, headIsWholeFile ? sample : null, deps);
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
    };
  } finally {
    await src.close();
  }
}
