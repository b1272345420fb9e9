import { expect } from 'chai';
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import sinon from 'sinon';
import type { S3Config } from '../../../../src/config/types.js';
import { md5Base64ToHex } from '../../../../src/sinks/s3/etag.js';
import { META } from '../../../../src/sinks/s3/metadata.js';
import { S3Sink, type S3SinkOptions } from '../../../../src/sinks/s3/sink.js';
import { Throttle } from '../../../../src/sinks/throttle.js';
import { silentLogger } from '../../../../src/telemetry/logger.js';
import { FakeMultipartStore, offlineClient, resultFor, seededBytes, tempDir, writeFile } from '../fixtures.js';

const NOW = Date.UTC(2024, 6, 1);
const DAY = 24 * 3600 * 1000;
const s3: S3Config = {
  bucket: 'logs', region: 'us-east-1', profile: null, endpoint: null, forcePathStyle: false, conditionalWrites: false,
  storageClass: null, serverSideEncryption: null, kmsKeyId: null,
};

class TrackedStore extends FakeMultipartStore {
  tracked: string[] = [];
  listAll(): Array<{ uploadId: string }> {
    return this.tracked.map((uploadId) => ({ uploadId }));
  }
}

describe('sinks/s3/S3Sink', () => {
  let client: S3Client;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let mock: AwsStub<any, any, any>;
  const t = tempDir();
  let path: string;

  before(() => {
    client = offlineClient();
    mock = mockClient(client);
    path = writeFile(t.dir, 'one.log', seededBytes(5_000, 3));
  });
  after(() => {
    mock.restore();
    client.destroy();
    t.cleanup();
  });
  beforeEach(() => mock.reset());

  const sink = (over: Partial<S3SinkOptions> = {}, store = new TrackedStore()): S3Sink =>
    new S3Sink({
      config: { vehicleId: 'vehicle-7', s3, upload: { concurrency: 2, partConcurrency: 2, partSizeMb: 5 } },
      env: {}, logger: silentLogger(), throttle: new Throttle({ bytesPerSecond: null }), multipart: store, now: () => NOW, client, ...over,
    });

  it('builds the reference object key from the vehicle, source, path and codec', () => {
    const key = sink().objectKey({ source: 'ros', relPath: 'run-1/launch.log', mtimeMs: Date.UTC(2024, 5, 30, 12) }, 'gzip');
    expect(key).to.match(/^vehicle-7\/2024-06-30\/ros\/run-1\/launch\.log\.gz$/);
  });

  it('uploads with the file\'s metadata, the marker the caller adds, and the content type of the key', async () => {
    const result = resultFor(path, 5 * 1024 * 1024, { codec: 'gzip' });
    mock.on(PutObjectCommand).resolves({ ETag: `"${md5Base64ToHex(result.outputMd5)}"` });
    const decorate = sinon.spy((m: Record<string, string>, mtimeMs: number) => ({ ...m, marker: String(mtimeMs) }));
    const out = await sink({ decorate }).upload({
      record: { id: 3, path, mtimeMs: 1234 }, key: 'vehicle-7/2024-06-30/ros/one.log.gz', result, level: 6, verifyRemote: false, signal: new AbortController().signal,
    });
    expect(out.skipped).to.equal(false);
    const input = mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input.ContentType).to.equal('application/gzip');
    expect(input.Metadata).to.include({ marker: '1234', [META.vehicleId]: 'vehicle-7', [META.sourceSha256]: result.sourceSha256 });
    expect(decorate.calledOnce).to.equal(true);
  });

  it('uploads a file sent as is with its metadata unchanged when nothing decorates it', async () => {
    const result = resultFor(path, 5 * 1024 * 1024, { codec: 'none' });
    mock.on(PutObjectCommand).resolves({ ETag: `"${md5Base64ToHex(result.outputMd5)}"` });
    await sink().upload({ record: { id: 4, path, mtimeMs: 1 }, key: 'vehicle-7/2024-06-30/ros/one.log', result, level: 0, verifyRemote: false, signal: new AbortController().signal });
    const input = mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input.Metadata).to.not.have.property('marker');
    expect(input.Metadata).to.include({ [META.codec]: 'none' });
  });

  it('records the level the file was compressed at with its multipart upload, not the configured one', async () => {
    // A capped link may have raised the level (pipeline/compression-level.ts): a resume must
    // compare the parts with a compression at that level, or it would stitch two together.
    const big = writeFile(t.dir, 'big.log', seededBytes(6 * 1024 * 1024, 5));
    const result = resultFor(big, 5 * 1024 * 1024, { codec: 'gzip' });
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    mock.on(UploadPartCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }));
    const store = new TrackedStore();
    const e = await sink({}, store)
      .upload({ record: { id: 8, path: big, mtimeMs: 1 }, key: 'vehicle-7/2024-06-30/ros/big.log.gz', result, level: 8, verifyRemote: false, signal: new AbortController().signal })
      .then(() => null, (err: unknown) => err);
    expect(e, 'the part was refused').to.be.instanceOf(Error);
    expect(store.rows.get(8)?.proof).to.deep.include({ codec: 'gzip', codecLevel: 8 });
  });

  it('aborts stale multipart uploads under the vehicle prefix, keeping those the state store still tracks', async () => {
    const store = new TrackedStore();
    store.tracked = ['ours'];
    mock.on(ListMultipartUploadsCommand).resolves({
      Uploads: [
        { Key: 'vehicle-7/a', UploadId: 'ours', Initiated: new Date(NOW - 30 * DAY) },
        { Key: 'vehicle-7/b', UploadId: 'lost', Initiated: new Date(NOW - 30 * DAY) },
      ],
    });
    mock.on(AbortMultipartUploadCommand).resolves({});
    const r = await sink({}, store).abortStale();
    expect(r).to.include({ aborted: 1, kept: 1 });
    expect(mock.commandCalls(ListMultipartUploadsCommand)[0]!.args[0].input).to.include({ Bucket: 'logs', Prefix: 'vehicle-7/' });
    expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input.UploadId)).to.deep.equal(['lost']);
  });

  it('destroys its client once on close, however often it is closed', () => {
    const own = offlineClient();
    const destroy = sinon.spy(own, 'destroy');
    const s = sink({ client: own });
    s.close();
    s.close();
    expect(destroy.callCount).to.equal(1);
  });

  it('builds its own client when none is given, and owns it', () => {
    const s = sink({ client: undefined as never, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    expect(s.partSize).to.equal(5 * 1024 * 1024);
    s.close();
  });
});
