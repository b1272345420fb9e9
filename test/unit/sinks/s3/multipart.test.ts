import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand,
  ListPartsCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';
import { ErrorCodes } from '../../../../src/errors.js';
import { md5Base64ToHex, multipartEtag } from '../../../../src/sinks/s3/etag.js';
import { MAX_PARTS, planParts, type MultipartStore } from '../../../../src/sinks/s3/multipart.js';
import type { MultipartRepo } from '../../../../src/state/multipart-repo.js';
import { S3Uploader, type ObjectUpload } from '../../../../src/sinks/s3/uploader.js';
import { silentLogger } from '../../../../src/telemetry/logger.js';
import { caught } from '../../../support/caught.js';
import { FakeMultipartStore, proofFor, resultFor, s3Error, seededBytes, sysError, tempDir, TEST_ENCODING, writeFile, useS3Mock } from '../fixtures.js';

// Compile-time contract: the state layer's repository is usable as the uploader's store.
const _repoIsAStore = (r: MultipartRepo): MultipartStore => r;

const PART = 1000;
const s3 = { storageClass: null, serverSideEncryption: 'AES256' as const, kmsKeyId: null };
const kms = { storageClass: null, serverSideEncryption: 'aws:kms' as const, kmsKeyId: 'key-1' };

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('sinks/s3 multipart upload', () => {
  let client: S3Client;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let mock: AwsStub<any, any, any>;
  const t = tempDir();
  const bytes = seededBytes(4 * PART + 321, 11); // 5 parts, the last one short
  let path: string;
  let store: FakeMultipartStore;
  /** Part number → bytes the fake server received. */
  let received: Map<number, Buffer>;
  let inFlight = 0;
  let maxInFlight = 0;

  useS3Mock((m) => ({ client, mock } = m));
  before(() => {
    path = writeFile(t.dir, 'big.gz', bytes);
  });
  after(() => t.cleanup());

  /** A well-behaved server: parts are hashed from the streamed body, like S3 does. */
  function serveHappy(): void {
    received = new Map();
    inFlight = 0;
    maxInFlight = 0;
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    mock.on(UploadPartCommand).callsFake(async (input: { PartNumber: number; Body: Readable }) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      const body = await readAll(input.Body);
      inFlight--;
      received.set(input.PartNumber, body);
      return { ETag: `"${createHash('md5').update(body).digest('hex')}"` };
    });
    mock.on(CompleteMultipartUploadCommand).callsFake((input: { MultipartUpload: { Parts: Array<{ ETag: string }> } }) => {
      const md5s = input.MultipartUpload.Parts.map((p) => Buffer.from(p.ETag.replace(/"/g, ''), 'hex').toString('base64'));
      return { ETag: `"${multipartEtag(md5s)}"` };
    });
    mock.on(AbortMultipartUploadCommand).resolves({});
  }

  beforeEach(() => {
    mock.reset();
    store = new FakeMultipartStore();
    serveHappy();
  });

  const uploader = (over: Partial<ConstructorParameters<typeof S3Uploader>[0]> = {}): S3Uploader =>
    new S3Uploader({ client, bucket: 'logs', s3, partSize: PART, partConcurrency: 2, multipart: store, logger: silentLogger(), now: () => 1_000_000, ...over });
  const job = (over: Partial<ObjectUpload> = {}): ObjectUpload => ({
    fileId: 42, key: 'v/2024-06-01/bag/run.mcap', result: resultFor(path, PART), metadata: { 'source-sha256': 'abc' },
    contentType: 'application/octet-stream', verifyRemote: false, encoding: TEST_ENCODING, ...over,
  });
  const etagOf = (n: number): string => `"${md5Base64ToHex(resultFor(path, PART).partMd5s[n - 1]!)}"`;
  /** Progress as a crash after parts `done` would have left it. */
  const crashedAfter = (done: number[], over: Record<string, unknown> = {}): void => {
    const r = resultFor(path, PART);
    store.begin({ fileId: 42, uploadId: 'up-0', objectKey: 'v/2024-06-01/bag/run.mcap', partSize: PART, uploadPath: path, sourceSha256: r.sourceSha256, proof: proofFor(r), createdAt: 999_000, ...over });
    for (const n of done) store.recordPart(42, { partNumber: n, etag: etagOf(n), size: PART });
    store.calls.length = 0;
  };
  const sentParts = (): number[] => mock.commandCalls(UploadPartCommand).map((c) => c.args[0].input.PartNumber as number).sort((a, b) => a - b);

  it('plans parts as exact byte ranges, the last one short', () => {
    expect(planParts(2500, 1000)).to.deep.equal([
      { partNumber: 1, start: 0, end: 999, size: 1000 },
      { partNumber: 2, start: 1000, end: 1999, size: 1000 },
      { partNumber: 3, start: 2000, end: 2499, size: 500 },
    ]);
    expect(planParts(0, 1000)).to.deep.equal([]);
  });

  it('uploads every part with its MD5 from the file range, records each, completes in order and forgets the progress', async () => {
    const out = await uploader().upload(job());
    const r = resultFor(path, PART);
    expect(out).to.deep.equal({ etag: `"${multipartEtag(r.partMd5s)}"`, skipped: false, bytesSent: bytes.length });
    const create = mock.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input;
    expect(create).to.include({ Bucket: 'logs', Key: 'v/2024-06-01/bag/run.mcap', ContentType: 'application/octet-stream', ServerSideEncryption: 'AES256' });
    expect(create).not.to.have.property('SSEKMSKeyId');
    expect(create.Metadata).to.deep.equal({ 'source-sha256': 'abc' });
    for (const call of mock.commandCalls(UploadPartCommand)) {
      const input = call.args[0].input;
      const n = input.PartNumber as number;
      expect(input).to.include({ UploadId: 'up-1', ContentMD5: r.partMd5s[n - 1], ContentLength: Math.min(PART, bytes.length - (n - 1) * PART) });
      expect(received.get(n)!.equals(bytes.subarray((n - 1) * PART, n * PART))).to.equal(true);
    }
    const parts = mock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.MultipartUpload!.Parts!;
    expect(parts.map((p) => p.PartNumber)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(store.calls[0]).to.equal('begin:42:up-1');
    expect(store.calls.filter((c) => c.startsWith('part:'))).to.have.length(5);
    expect(store.calls.at(-1)).to.equal('delete:42');
    expect(store.get(42)).to.equal(null);
  });

  it('never has more than partConcurrency parts in flight', async () => {
    await uploader({ partConcurrency: 3 }).upload(job());
    expect(maxInFlight).to.equal(3);
    serveHappy();
    await uploader({ partConcurrency: 1 }).upload(job());
    expect(maxInFlight).to.equal(1);
  });

  it('resumes after a crash: parts 1-2 were done, only 3..5 are sent to the same upload', async () => {
    crashedAfter([1, 2]);
    mock.on(ListPartsCommand).resolves({ Parts: [{ PartNumber: 1, ETag: etagOf(1), Size: PART }, { PartNumber: 2, ETag: etagOf(2), Size: PART }] });
    const out = await uploader().upload(job());
    expect(sentParts()).to.deep.equal([3, 4, 5]);
    expect(out.bytesSent).to.equal(bytes.length - 2 * PART);
    expect(mock.commandCalls(CreateMultipartUploadCommand)).to.have.length(0);
    expect(mock.commandCalls(UploadPartCommand)[0]!.args[0].input.UploadId).to.equal('up-0');
    expect(mock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.MultipartUpload!.Parts!.map((p) => p.PartNumber)).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('adopts a part the server has but the crash kept us from recording, when its ETag is our MD5', async () => {
    crashedAfter([1]);
    mock.on(ListPartsCommand).resolves({ Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: etagOf(n), Size: PART })) });
    await uploader().upload(job());
    expect(sentParts()).to.deep.equal([4, 5]);
    expect(store.calls).to.include('part:42:2').and.include('part:42:3');
  });

  it('re-sends recorded parts the server does not list, or lists with other bytes', async () => {
    crashedAfter([1, 2, 3]);
    mock.on(ListPartsCommand).resolves({
      Parts: [
        { PartNumber: 1, ETag: etagOf(1), Size: PART },
        { PartNumber: 3, ETag: '"0123456789abcdef0123456789abcdef"', Size: PART },
      ],
    });
    await uploader().upload(job());
    expect(sentParts()).to.deep.equal([2, 3, 4, 5]);
  });

  it('follows ListParts pagination', async () => {
    crashedAfter([1, 2, 3]);
    mock.on(ListPartsCommand, { PartNumberMarker: undefined }).resolves({ Parts: [{ PartNumber: 1, ETag: etagOf(1), Size: PART }], IsTruncated: true, NextPartNumberMarker: '1' });
    mock.on(ListPartsCommand, { PartNumberMarker: '1' }).resolves({ Parts: [2, 3].map((n) => ({ PartNumber: n, ETag: etagOf(n), Size: PART })), IsTruncated: false });
    await uploader().upload(job());
    expect(sentParts()).to.deep.equal([4, 5]);
    expect(mock.commandCalls(ListPartsCommand)).to.have.length(2);
  });

  it('trusts recorded parts when the server cannot list parts (s3rver answers MethodNotAllowed)', async () => {
    crashedAfter([1, 2]);
    mock.on(ListPartsCommand).rejects(s3Error('MethodNotAllowed', 405));
    await uploader().upload(job());
    expect(sentParts()).to.deep.equal([3, 4, 5]);
  });

  it('does not trust recorded parts whose ETag is not our MD5, or whose size is wrong', async () => {
    crashedAfter([1]);
    store.recordPart(42, { partNumber: 2, etag: '"ffffffffffffffffffffffffffffffff"', size: PART });
    store.recordPart(42, { partNumber: 3, etag: etagOf(3), size: PART - 1 });
    mock.on(ListPartsCommand).rejects(s3Error('NotImplemented', 501));
    await uploader().upload(job());
    expect(sentParts()).to.deep.equal([2, 3, 4, 5]);
  });

  it('with SSE-KMS configured, trusts recorded (opaque) ETags only for the same spool file', async () => {
    const opaque = '"0123456789abcdef0123456789abcdef"'; // KMS ETags are 32 hex digits too, but not MD5s
    mock.on(UploadPartCommand).callsFake(async (input: { Body: Readable; PartNumber: number }) => {
      await readAll(input.Body);
      return { ETag: `"kms-${input.PartNumber}"`, ServerSideEncryption: 'aws:kms' };
    });
    mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"0123456789abcdef0123456789abcdef-5"', ServerSideEncryption: 'aws:kms' });
    crashedAfter([], { uploadPath: '/elsewhere/big.gz' });
    store.recordPart(42, { partNumber: 1, etag: opaque, size: PART });
    mock.on(ListPartsCommand).resolves({ Parts: [{ PartNumber: 1, ETag: opaque, Size: PART }] });
    await uploader({ s3: kms }).upload(job());
    expect(sentParts()).to.deep.equal([1, 2, 3, 4, 5]);

    mock.resetHistory();
    crashedAfter([]);
    store.recordPart(42, { partNumber: 1, etag: opaque, size: PART });
    store.recordPart(42, { partNumber: 2, etag: opaque, size: PART });
    // Part 2 is no longer what the server has; part 3 is unrecorded and unverifiable under KMS.
    mock.on(ListPartsCommand).resolves({
      Parts: [{ PartNumber: 1, ETag: opaque, Size: PART }, { PartNumber: 2, ETag: '"other"', Size: PART }, { PartNumber: 3, ETag: etagOf(3), Size: PART }],
    });
    const out = await uploader({ s3: kms }).upload(job());
    expect(sentParts()).to.deep.equal([2, 3, 4, 5]);
    expect(out.etag).to.equal('"0123456789abcdef0123456789abcdef-5"');
  });

  it('does not mistake a KMS ETag (32 hex digits, not an MD5) for corruption', async () => {
    mock.on(UploadPartCommand).callsFake(async (input: { Body: Readable }) => {
      await readAll(input.Body);
      return { ETag: '"ffffffffffffffffffffffffffffffff"', ServerSideEncryption: 'aws:kms' };
    });
    mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-5"', ServerSideEncryption: 'aws:kms' });
    const out = await uploader({ s3: kms }).upload(job());
    expect(out.etag).to.equal('"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-5"');
  });

  it('starts over when the upload id is gone (NoSuchUpload)', async () => {
    crashedAfter([1, 2]);
    mock.on(ListPartsCommand).rejects(s3Error('NoSuchUpload', 404));
    mock.on(HeadObjectCommand).rejects(s3Error('NotFound', 404));
    await uploader().upload(job());
    expect(sentParts()).to.deep.equal([1, 2, 3, 4, 5]);
    expect(store.calls).to.include('delete:42').and.include('begin:42:up-1');
    expect(store.get(42)).to.equal(null);
  });

  it('finishes without re-sending when NoSuchUpload is because an earlier Complete did succeed', async () => {
    crashedAfter([1, 2, 3, 4, 5]);
    mock.on(ListPartsCommand).rejects(s3Error('NoSuchUpload', 404));
    mock.on(HeadObjectCommand).resolves({ ETag: '"done-5"', ContentLength: bytes.length, Metadata: { 'source-sha256': resultFor(path, PART).sourceSha256 } });
    const out = await uploader().upload(job());
    expect(out).to.deep.equal({ etag: '"done-5"', skipped: false, bytesSent: 0 });
    expect(sentParts()).to.deep.equal([]);
    expect(store.get(42)).to.equal(null);
  });

  it('finishes without re-sending Complete when every part is done and the object already exists (lost Complete answer, server answers 500 on a repeat)', async () => {
    crashedAfter([]);
    for (const part of planParts(bytes.length, PART)) store.recordPart(42, { partNumber: part.partNumber, etag: etagOf(part.partNumber), size: part.size });
    mock.on(ListPartsCommand).rejects(s3Error('NotImplemented', 501));
    mock.on(CompleteMultipartUploadCommand).rejects(s3Error('InternalError', 500));
    mock.on(HeadObjectCommand).resolves({ ETag: '"done-5"', ContentLength: bytes.length, Metadata: { 'source-sha256': resultFor(path, PART).sourceSha256 } });
    const out = await uploader().upload(job());
    expect(out).to.deep.equal({ etag: '"done-5"', skipped: false, bytesSent: 0 });
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).to.have.length(0);
    expect(store.get(42)).to.equal(null);
  });

  it('gives up after restarting once when the new upload vanishes too', async () => {
    mock.on(UploadPartCommand).rejects(s3Error('NoSuchUpload', 404));
    mock.on(HeadObjectCommand).rejects(s3Error('Forbidden', 403));
    const e = await caught(uploader().upload(job()));
    expect(e.code).to.equal(ErrorCodes.S3_REJECTED);
    expect(mock.commandCalls(CreateMultipartUploadCommand)).to.have.length(2);
  });

  it('starts over (aborting the old upload) when the progress is for other bytes, key or part size', async () => {
    for (const over of [{ sourceSha256: 'other' }, { objectKey: 'other/key' }, { partSize: PART * 2 }, { createdAt: 0 }]) {
      mock.resetHistory();
      crashedAfter([1, 2], over);
      await uploader({ maxResumeAgeMs: 10_000 }).upload(job());
      expect(sentParts(), JSON.stringify(over)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(mock.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input.UploadId).to.equal('up-0');
      expect(mock.commandCalls(ListPartsCommand)).to.have.length(0);
    }
  });

  it('starts clean when the codec level, codec library or output bytes changed between attempts, even where ETags prove nothing (SSE-KMS)', async () => {
    const r = resultFor(path, PART);
    const changes: Array<[string, Partial<ObjectUpload>]> = [
      ['codec level', { encoding: { ...TEST_ENCODING, level: 9 } }],
      ['library version', { encoding: { ...TEST_ENCODING, version: 'zlib 9.9' } }],
      ['output sha256', { result: { ...r, outputSha256: 'b3RoZXI=' } }],
    ];
    for (const [what, over] of changes) {
      mock.reset();
      serveHappy();
      store = new FakeMultipartStore();
      crashedAfter([1, 2, 3]);
      mock.on(ListPartsCommand).resolves({ Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"${String(n).repeat(32)}"`, Size: PART })) });
      await uploader({ s3: kms }).upload(job(over));
      expect(sentParts(), what).to.deep.equal([1, 2, 3, 4, 5]);
      expect(mock.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input.UploadId, what).to.equal('up-0');
      expect(mock.commandCalls(ListPartsCommand), what).to.have.length(0);
    }
  });

  it('records the resume proof with a new upload: codec, level, library version, output sha256', async () => {
    mock.on(CompleteMultipartUploadCommand).rejects(sysError('ECONNRESET', 'socket hang up'));
    await caught(uploader().upload(job()));
    expect(store.get(42)!.proof).to.deep.equal(proofFor(resultFor(path, PART)));
  });

  it('keeps the upload id and recorded parts after a retriable failure; the next attempt resumes', async () => {
    mock.on(UploadPartCommand, { PartNumber: 4 }).rejects(sysError('ECONNRESET', 'socket hang up'));
    const e = await caught(uploader({ partConcurrency: 1 }).upload(job()));
    expect(e.code).to.equal(ErrorCodes.S3_TRANSIENT);
    expect(e.details).to.include({ bucket: 'logs', key: 'v/2024-06-01/bag/run.mcap' });
    expect(mock.commandCalls(AbortMultipartUploadCommand)).to.have.length(0);
    expect(store.get(42)!.parts.map((p) => p.partNumber)).to.deep.equal([1, 2, 3]);

    mock.reset();
    serveHappy();
    mock.on(ListPartsCommand).resolves({ Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: etagOf(n), Size: PART })) });
    await uploader({ partConcurrency: 1 }).upload(job());
    expect(sentParts()).to.deep.equal([4, 5]);
    expect(mock.commandCalls(UploadPartCommand)[0]!.args[0].input.UploadId).to.equal('up-1');
  });

  it('keeps progress on operator errors (the bucket may come back)', async () => {
    mock.on(UploadPartCommand, { PartNumber: 2 }).rejects(s3Error('AccessDenied', 403));
    const e = await caught(uploader({ partConcurrency: 1 }).upload(job()));
    expect(e.code).to.equal(ErrorCodes.S3_ACCESS_DENIED);
    expect(mock.commandCalls(AbortMultipartUploadCommand)).to.have.length(0);
    expect(store.get(42)).to.not.equal(null);
  });

  it('aborts the upload and forgets it on a permanent error', async () => {
    mock.on(UploadPartCommand, { PartNumber: 2 }).rejects(s3Error('EntityTooLarge', 400));
    const e = await caught(uploader({ partConcurrency: 1 }).upload(job()));
    expect(e.code).to.equal(ErrorCodes.S3_TOO_LARGE);
    expect(e.retriability).to.equal('permanent');
    expect(mock.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).to.include({ UploadId: 'up-1', Key: 'v/2024-06-01/bag/run.mcap' });
    expect(store.get(42)).to.equal(null);
  });

  it('forgets inconsistent progress when Complete says a part is invalid', async () => {
    mock.on(CompleteMultipartUploadCommand).rejects(s3Error('InvalidPart', 400));
    mock.on(AbortMultipartUploadCommand).rejects(s3Error('MethodNotAllowed', 405));
    const e = await caught(uploader().upload(job()));
    expect(e.code).to.equal(ErrorCodes.S3_REJECTED);
    expect(e.retriable).to.equal(true);
    expect(store.get(42)).to.equal(null);
  });

  it('completes with If-None-Match: * when conditional writes are on, and not otherwise', async () => {
    await uploader({ conditionalWrites: true }).upload(job());
    expect(mock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input).to.include({ IfNoneMatch: '*' });
    mock.resetHistory();
    await uploader().upload(job());
    expect(mock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input).not.to.have.property('IfNoneMatch');
  });

  it('turns a refused conditional Complete (412) into KEY_TAKEN, aborts the upload and forgets it', async () => {
    mock.on(CompleteMultipartUploadCommand).rejects(s3Error('PreconditionFailed', 412));
    const e = await caught(uploader({ conditionalWrites: true }).upload(job()));
    expect(e.code).to.equal(ErrorCodes.KEY_TAKEN);
    expect(e.details).to.include({ key: 'v/2024-06-01/bag/run.mcap' });
    expect(mock.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).to.include({ UploadId: 'up-1' });
    expect(store.get(42)).to.equal(null);
  });

  it('does not complete over another source\'s object found after NoSuchUpload', async () => {
    crashedAfter([1, 2, 3, 4, 5]);
    mock.on(ListPartsCommand).rejects(s3Error('NoSuchUpload', 404));
    mock.on(HeadObjectCommand).resolves({ ContentLength: 5, Metadata: { 'source-sha256': 'f'.repeat(64) } });
    const e = await caught(uploader().upload(job()));
    expect(e.code).to.equal(ErrorCodes.KEY_TAKEN);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).to.have.length(0);
  });

  it('classifies NoSuchBucket on CreateMultipartUpload as an operator error', async () => {
    mock.on(CreateMultipartUploadCommand).rejects(s3Error('NoSuchBucket', 404));
    const e = await caught(uploader().upload(job()));
    expect(e.code).to.equal(ErrorCodes.S3_NO_SUCH_BUCKET);
    expect(e.retriability).to.equal('operator');
    expect(mock.commandCalls(AbortMultipartUploadCommand)).to.have.length(0);
  });

  it('reports S3_INTEGRITY and does not record a part whose ETag proves other bytes', async () => {
    mock.on(UploadPartCommand, { PartNumber: 1 }).resolves({ ETag: '"00000000000000000000000000000000"' });
    const e = await caught(uploader({ partConcurrency: 1 }).upload(job()));
    expect(e.code).to.equal(ErrorCodes.S3_INTEGRITY);
    expect(store.get(42)!.parts).to.deep.equal([]);
  });

  it('reports S3_INTEGRITY when the completed object ETag does not match our parts', async () => {
    mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"00000000000000000000000000000000-5"' });
    const e = await caught(uploader().upload(job()));
    expect(e.code).to.equal(ErrorCodes.S3_INTEGRITY);
    expect(store.get(42)).to.equal(null);
  });

  it('accepts the whole-object MD5 that some servers return for a multipart object', async () => {
    mock.on(CompleteMultipartUploadCommand).resolves({ ETag: `"${md5Base64ToHex(resultFor(path, PART).outputMd5)}"` });
    const out = await uploader().upload(job());
    expect(out.skipped).to.equal(false);
  });

  it('refuses more than 10,000 parts as S3_TOO_LARGE with a hint to raise part_size_mb', async () => {
    const big = writeFile(t.dir, 'many.gz', Buffer.alloc(MAX_PARTS + 1));
    const e = await caught(uploader({ partSize: 1 }).upload(job({ result: resultFor(big, 1 << 20) })));
    expect(e.code).to.equal(ErrorCodes.S3_TOO_LARGE);
    expect(e.retriability).to.equal('permanent');
    expect(e.hint).to.include('upload.part_size_mb');
    expect(e.message).to.include('10001 parts');
    expect(mock.commandCalls(CreateMultipartUploadCommand)).to.have.length(0);
  });

  it('fails as INTERNAL (retriable) when the worker hashed parts of another size', async () => {
    const e = await caught(uploader().upload(job({ result: resultFor(path, PART * 2) })));
    expect(e.code).to.equal(ErrorCodes.INTERNAL);
    expect(e.retriable).to.equal(true);
  });

  it('stops on an aborted signal, keeps the progress and reports SHUTDOWN_TIMEOUT', async () => {
    const ac = new AbortController();
    mock.on(UploadPartCommand, { PartNumber: 2 }).callsFake(async () => {
      ac.abort(new Error('shutdown'));
      throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    });
    const e = await caught(uploader({ partConcurrency: 1 }).upload(job({ signal: ac.signal })));
    expect(e.code).to.equal(ErrorCodes.SHUTDOWN_TIMEOUT);
    expect(sentParts()).to.deep.equal([1, 2]);
    expect(store.get(42)!.parts.map((p) => p.partNumber)).to.deep.equal([1]);
    expect(mock.commandCalls(AbortMultipartUploadCommand)).to.have.length(0);
  });

  it('surfaces a transient ListParts failure and keeps the progress', async () => {
    crashedAfter([1]);
    mock.on(ListPartsCommand).rejects(s3Error('SlowDown', 503));
    const e = await caught(uploader().upload(job()));
    expect(e.code).to.equal(ErrorCodes.S3_TRANSIENT);
    expect(store.get(42)!.uploadId).to.equal('up-0');
  });
});
