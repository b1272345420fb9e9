import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand, HeadObjectCommand, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';
import { ErrorCodes, TvmError } from '../../../../src/errors.js';
import { md5Base64ToHex } from '../../../../src/sinks/s3/etag.js';
import { S3Uploader, type ObjectUpload } from '../../../../src/sinks/s3/uploader.js';
import { silentLogger } from '../../../../src/telemetry/logger.js';
import { caught } from '../../../support/caught.js';
import { FakeMultipartStore, proofFor, resultFor, s3Error, seededBytes, tempDir, TEST_ENCODING, writeFile, useS3Mock } from '../fixtures.js';

const s3 = { storageClass: 'GLACIER_IR', serverSideEncryption: 'AES256' as const, kmsKeyId: null };

describe('sinks/s3/S3Uploader (single PUT, dedupe, errors)', () => {
  let client: S3Client;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let mock: AwsStub<any, any, any>;
  const t = tempDir();
  let path: string;
  const bytes = seededBytes(10_000, 9);

  useS3Mock((m) => ({ client, mock } = m));
  before(() => {
    path = writeFile(t.dir, 'one.gz', bytes);
  });
  after(() => t.cleanup());

  const uploader = (store = new FakeMultipartStore()): S3Uploader =>
    new S3Uploader({ client, bucket: 'logs', s3, partSize: 1024 * 1024, partConcurrency: 2, multipart: store, logger: silentLogger() });
  const job = (over: Partial<ObjectUpload> = {}): ObjectUpload => {
    const result = resultFor(path, 1024 * 1024);
    return {
      fileId: 7, key: 'v/2024-06-01/ros/one.log.gz', result, metadata: { 'source-sha256': result.sourceSha256 },
      contentType: 'application/gzip', verifyRemote: false, encoding: TEST_ENCODING, ...over,
    };
  };
  const goodEtag = (): string => `"${md5Base64ToHex(resultFor(path, 1024 * 1024).outputMd5)}"`;

  it('sends one PutObject with Content-MD5, Content-Length, SHA-256, type, metadata, storage class and SSE', async () => {
    mock.on(PutObjectCommand).resolves({ ETag: goodEtag() });
    const j = job();
    const out = await uploader().upload(j);
    expect(out).to.deep.equal({ etag: goodEtag(), skipped: false, bytesSent: bytes.length });
    const calls = mock.commandCalls(PutObjectCommand);
    expect(calls).to.have.length(1);
    const input = calls[0]!.args[0].input;
    expect(input).to.include({
      Bucket: 'logs', Key: j.key, ContentLength: bytes.length, ContentMD5: j.result.outputMd5, ChecksumSHA256: j.result.outputSha256,
      ContentType: 'application/gzip', StorageClass: 'GLACIER_IR', ServerSideEncryption: 'AES256',
    });
    expect(input).not.to.have.property('SSEKMSKeyId');
    expect(input.Metadata).to.deep.equal(j.metadata);
  });

  it('skips the upload when the object already holds the same source bytes (verifyRemote)', async () => {
    const j = job({ verifyRemote: true });
    mock.on(HeadObjectCommand).resolves({ ETag: '"remote"', ContentLength: bytes.length, Metadata: { 'source-sha256': j.result.sourceSha256 } });
    expect(await uploader().upload(j)).to.deep.equal({ etag: '"remote"', skipped: true, bytesSent: 0 });
    expect(mock.commandCalls(PutObjectCommand)).to.have.length(0);
  });

  it('forgets leftover multipart progress when the object turns out to be there already', async () => {
    const j = job({ verifyRemote: true });
    const store = new FakeMultipartStore();
    store.begin({ fileId: 7, uploadId: 'old', objectKey: j.key, partSize: 1, uploadPath: path, sourceSha256: j.result.sourceSha256, proof: proofFor(j.result), createdAt: 0 });
    mock.on(HeadObjectCommand).resolves({ ETag: '"remote"', ContentLength: bytes.length, Metadata: { 'source-sha256': j.result.sourceSha256 } });
    mock.on(AbortMultipartUploadCommand).rejects(s3Error('NoSuchUpload', 404));
    await uploader(store).upload(j);
    expect(store.get(7)).to.equal(null);
    expect(mock.commandCalls(AbortMultipartUploadCommand)[0]!.args[0].input).to.include({ UploadId: 'old', Key: j.key });
  });

  it('sends If-None-Match: * only when conditional writes are on', async () => {
    mock.on(PutObjectCommand).resolves({ ETag: goodEtag() });
    const opts = { client, bucket: 'logs', s3, partSize: 1024 * 1024, partConcurrency: 2, multipart: new FakeMultipartStore(), logger: silentLogger() };
    await new S3Uploader({ ...opts, conditionalWrites: true }).upload(job());
    await uploader().upload(job());
    const calls = mock.commandCalls(PutObjectCommand);
    expect(calls[0]!.args[0].input).to.include({ IfNoneMatch: '*' });
    expect(calls[1]!.args[0].input).not.to.have.property('IfNoneMatch');
  });

  it('turns a refused conditional PUT (412 Precondition Failed) into KEY_TAKEN naming the key', async () => {
    mock.on(PutObjectCommand).rejects(s3Error('PreconditionFailed', 412));
    const e = await caught(uploader().upload(job()));
    expect(e.code).to.equal(ErrorCodes.KEY_TAKEN);
    expect(e.retriable).to.equal(true);
    expect(e.details).to.include({ bucket: 'logs', key: 'v/2024-06-01/ros/one.log.gz', remoteSha256: '' });
  });

  it('replaces an earlier, shorter content of the same file: no If-None-Match, and that source found by HEAD is no conflict', async () => {
    mock.on(HeadObjectCommand).resolves({ ContentLength: 3, Metadata: { 'source-sha256': 'a'.repeat(64) } });
    mock.on(PutObjectCommand).resolves({ ETag: goodEtag() });
    const opts = { client, bucket: 'logs', s3, partSize: 1024 * 1024, partConcurrency: 2, multipart: new FakeMultipartStore(), logger: silentLogger(), conditionalWrites: true };
    const out = await new S3Uploader(opts).upload(job({ verifyRemote: true, replaces: 'a'.repeat(64) }));
    expect(out.skipped).to.equal(false);
    expect(mock.commandCalls(PutObjectCommand)[0]!.args[0].input).not.to.have.property('IfNoneMatch');
    mock.on(HeadObjectCommand).resolves({ ContentLength: 3, Metadata: { 'source-sha256': 'b'.repeat(64) } });
    const e = await caught(new S3Uploader(opts).upload(job({ verifyRemote: true, replaces: 'a'.repeat(64) })));
    expect(e.code).to.equal(ErrorCodes.KEY_TAKEN);
  });

  describe('an object holding a shorter content of the same source file (a crash between write and record)', () => {
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    const opts = () => ({ client, bucket: 'logs', s3, partSize: 1024 * 1024, partConcurrency: 2, multipart: new FakeMultipartStore(), logger: silentLogger(), conditionalWrites: true });
    const source = (): { path: string; size: number } => ({ path, size: bytes.length });

    it('replaces it without If-None-Match when its source is a strict prefix of ours', async () => {
      const prefix = bytes.subarray(0, 4000);
      mock.on(HeadObjectCommand).resolves({ ContentLength: 900, Metadata: { 'source-sha256': sha(prefix), 'source-size': String(prefix.length) } });
      mock.on(PutObjectCommand).resolves({ ETag: goodEtag() });
      const out = await new S3Uploader(opts()).upload(job({ verifyRemote: true, source: source() }));
      expect(out.skipped).to.equal(false);
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(1);
      expect(mock.commandCalls(PutObjectCommand)[0]!.args[0].input).not.to.have.property('IfNoneMatch');
    });

    const keptCases: Array<[string, Record<string, string>]> = [
      ['its bytes differ from our first bytes', { 'source-sha256': sha(Buffer.from(bytes.subarray(0, 4000)).fill(1, 0, 1)), 'source-size': '4000' }],
      ['it is as long as ours', { 'source-sha256': sha(bytes), 'source-size': String(bytes.length + 1) }],
      ['it names no source size', { 'source-sha256': sha(bytes.subarray(0, 4000)) }],
    ];
    for (const [why, meta] of keptCases) {
      it(`keeps it (KEY_TAKEN) when ${why}`, async () => {
        mock.on(HeadObjectCommand).resolves({ ContentLength: 900, Metadata: meta });
        mock.on(PutObjectCommand).resolves({ ETag: goodEtag() });
        const e = await caught(new S3Uploader(opts()).upload(job({ verifyRemote: true, source: source() })));
        expect(e.code).to.equal(ErrorCodes.KEY_TAKEN);
        expect(mock.commandCalls(PutObjectCommand)).to.have.length(0);
      });
    }

    it('keeps it (KEY_TAKEN) when the source file cannot be read any more', async () => {
      const prefix = bytes.subarray(0, 4000);
      mock.on(HeadObjectCommand).resolves({ ContentLength: 900, Metadata: { 'source-sha256': sha(prefix), 'source-size': '4000' } });
      const e = await caught(new S3Uploader(opts()).upload(job({ verifyRemote: true, source: { path: join(t.dir, 'gone.log'), size: bytes.length } })));
      expect(e.code).to.equal(ErrorCodes.KEY_TAKEN);
    });
  });

  const proceedCases: Array<[string, () => void]> = [
    ['the object is absent (404)', () => mock.on(HeadObjectCommand).rejects(s3Error('NotFound', 404))],
    ['HEAD is forbidden by a write-only policy (403)', () => mock.on(HeadObjectCommand).rejects(s3Error('Forbidden', 403))],
  ];
  for (const [why, arrange] of proceedCases) {
    it(`uploads when ${why}`, async () => {
      arrange();
      mock.on(PutObjectCommand).resolves({ ETag: goodEtag() });
      const out = await uploader().upload(job({ verifyRemote: true }));
      expect(out.skipped).to.equal(false);
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(1);
    });
  }

  const takenCases: Array<[string, () => void, string]> = [
    ['the object holds other source bytes', () => mock.on(HeadObjectCommand).resolves({ ContentLength: bytes.length, Metadata: { 'source-sha256': 'f'.repeat(64) } }), 'f'.repeat(64)],
    ['the object has no metadata (uploaded by something else)', () => mock.on(HeadObjectCommand).resolves({ ContentLength: bytes.length }), ''],
  ];
  for (const [why, arrange, remote] of takenCases) {
    it(`never overwrites when ${why}: KEY_TAKEN naming the remote source`, async () => {
      arrange();
      mock.on(PutObjectCommand).resolves({ ETag: goodEtag() });
      const e = await caught(uploader().upload(job({ verifyRemote: true })));
      expect(e.code).to.equal(ErrorCodes.KEY_TAKEN);
      expect(e.details).to.include({ remoteSha256: remote });
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(0);
    });
  }

  it('uploads when the same source is there with another size (e.g. other codec settings)', async () => {
    const j = job({ verifyRemote: true });
    mock.on(HeadObjectCommand).resolves({ ContentLength: 1, Metadata: { 'source-sha256': j.result.sourceSha256 } });
    mock.on(PutObjectCommand).resolves({ ETag: goodEtag() });
    expect((await uploader().upload(j)).skipped).to.equal(false);
  });

  it('fails with S3_TRANSIENT when HEAD itself fails transiently', async () => {
    mock.on(HeadObjectCommand).rejects(s3Error('ServiceUnavailable', 503));
    const e = await caught(uploader().upload(job({ verifyRemote: true })));
    expect(e.code).to.equal(ErrorCodes.S3_TRANSIENT);
    expect(mock.commandCalls(PutObjectCommand)).to.have.length(0);
  });

  it('classifies NoSuchBucket on the PUT path as an operator error naming bucket and key', async () => {
    mock.on(PutObjectCommand).rejects(s3Error('NoSuchBucket', 404, 'The specified bucket does not exist'));
    const e = await caught(uploader().upload(job()));
    expect(e.code).to.equal(ErrorCodes.S3_NO_SUCH_BUCKET);
    expect(e.retriability).to.equal('operator');
    expect(e.details).to.include({ bucket: 'logs', key: 'v/2024-06-01/ros/one.log.gz' });
    expect(e.hint).to.be.a('string');
  });

  it('classifies bad credentials on the PUT path', async () => {
    mock.on(PutObjectCommand).rejects(s3Error('InvalidAccessKeyId', 403));
    expect((await caught(uploader().upload(job()))).code).to.equal(ErrorCodes.S3_CREDENTIALS);
  });

  it('reports S3_INTEGRITY when the returned ETag proves the server stored other bytes', async () => {
    mock.on(PutObjectCommand).resolves({ ETag: '"00000000000000000000000000000000"' });
    const e = await caught(uploader().upload(job()));
    expect(e.code).to.equal(ErrorCodes.S3_INTEGRITY);
    expect(e.retriable).to.equal(true);
  });

  it('accepts an opaque ETag when the answer says the object is KMS-encrypted', async () => {
    mock.on(PutObjectCommand).resolves({ ETag: '"00000000000000000000000000000000"', ServerSideEncryption: 'aws:kms' });
    expect((await uploader().upload(job())).etag).to.equal('"00000000000000000000000000000000"');
  });

  it('reports FILE_VANISHED when the spool file is gone, without calling S3', async () => {
    const j = job();
    const e = await caught(uploader().upload({ ...j, result: { ...j.result, uploadPath: join(t.dir, 'nope.gz') } }));
    expect(e.code).to.equal(ErrorCodes.FILE_VANISHED);
    expect(e.message).to.include('nope.gz');
    expect(mock.commandCalls(PutObjectCommand)).to.have.length(0);
  });

  it('reports FILE_CHANGED when the spool file no longer has the compressed size', async () => {
    const j = job();
    const e = await caught(uploader().upload({ ...j, result: { ...j.result, outputSize: bytes.length + 1 } }));
    expect(e.code).to.equal(ErrorCodes.FILE_CHANGED);
    expect(e.details).to.include({ key: j.key, bucket: 'logs' });
  });

  it('refuses objects above 5 TiB as permanent S3_TOO_LARGE', async () => {
    const j = job();
    const e = await caught(uploader().upload({ ...j, result: { ...j.result, outputSize: 6 * 1024 ** 4 } }));
    expect(e.code).to.equal(ErrorCodes.S3_TOO_LARGE);
    expect(e.retriability).to.equal('permanent');
  });

  it('adds bucket and key to errors raised by lower layers', async () => {
    const store = new FakeMultipartStore();
    store.get = () => {
      throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, 'database is locked');
    };
    const j = job({ verifyRemote: true });
    mock.on(HeadObjectCommand).resolves({ ETag: '"r"', ContentLength: bytes.length, Metadata: { 'source-sha256': j.result.sourceSha256 } });
    const e = await caught(uploader(store).upload(j));
    expect(e.code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
    expect(e.details).to.include({ bucket: 'logs', key: j.key });
  });

  it('rejects nonsensical part settings', () => {
    const base = { client, bucket: 'b', s3, multipart: new FakeMultipartStore(), logger: silentLogger() };
    expect(() => new S3Uploader({ ...base, partSize: 0, partConcurrency: 1 })).to.throw(TvmError);
    expect(() => new S3Uploader({ ...base, partSize: 5, partConcurrency: 0 })).to.throw(TvmError);
  });
});

describe('sinks/s3/S3Uploader (abort signal)', () => {
  const t = tempDir();
  after(() => t.cleanup());

  it('ends an in-flight PUT at once when the signal aborts and reports SHUTDOWN_TIMEOUT', async () => {
    const path = writeFile(t.dir, 'a.gz', seededBytes(5000, 1));
    let sawSignal: AbortSignal | undefined;
    const hanging = {
      send: (_cmd: unknown, opts?: { abortSignal?: AbortSignal }) =>
        new Promise((_resolve, reject) => {
          sawSignal = opts?.abortSignal;
          opts?.abortSignal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
        }),
    };
    const up = new S3Uploader({ client: hanging as never, bucket: 'b', s3, partSize: 1 << 20, partConcurrency: 1, multipart: new FakeMultipartStore(), logger: silentLogger() });
    const ac = new AbortController();
    const p = up.upload({ fileId: 1, key: 'k', result: resultFor(path, 1 << 20), metadata: {}, contentType: 'x', verifyRemote: false, signal: ac.signal, encoding: TEST_ENCODING });
    setTimeout(() => ac.abort(new Error('shutdown')), 20);
    const e = await caught(p);
    expect(sawSignal).to.not.equal(undefined);
    expect(e.code).to.equal(ErrorCodes.SHUTDOWN_TIMEOUT);
    expect(e.retriable).to.equal(true);
  });

  it('aborts the request when the body cannot be read and reports the file error', async () => {
    const dir = join(t.dir, 'is-a-dir');
    mkdirSync(dir);
    const consuming = {
      send: (cmd: { input: { Body: NodeJS.ReadableStream } }, opts?: { abortSignal?: AbortSignal }) =>
        new Promise((_resolve, reject) => {
          cmd.input.Body.on('data', () => undefined);
          opts?.abortSignal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
        }),
    };
    const up = new S3Uploader({ client: consuming as never, bucket: 'b', s3, partSize: 1 << 20, partConcurrency: 1, multipart: new FakeMultipartStore(), logger: silentLogger() });
    const result = { ...resultFor(writeFile(t.dir, 'x', Buffer.alloc(0)), 1 << 20), uploadPath: dir };
    const { size } = await stat(dir);
    const e = await caught(up.upload({ fileId: 1, key: 'k', result: { ...result, outputSize: size }, metadata: {}, contentType: 'x', verifyRemote: false, encoding: TEST_ENCODING }));
    expect(e.code).to.equal(ErrorCodes.FILE_UNREADABLE);
    expect(e.details).to.include({ syscallCode: 'EISDIR' });
  });
});
