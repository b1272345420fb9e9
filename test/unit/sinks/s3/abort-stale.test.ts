import { expect } from 'chai';
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';
import { ErrorCodes, TvmError } from '../../../../src/errors.js';
import { abortStaleUploads, DEFAULT_STALE_MS } from '../../../../src/sinks/s3/abort-stale.js';
import { s3Error, useS3Mock } from '../fixtures.js';

const NOW = Date.UTC(2024, 6, 1);
const DAY = 24 * 3600 * 1000;

describe('sinks/s3/abortStaleUploads', () => {
  let client: S3Client;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let mock: AwsStub<any, any, any>;
  const logged: string[] = [];
  const logger = { info: (_o: unknown, m: string) => logged.push(m), warn: (_o: unknown, m: string) => logged.push(m) } as never;
  useS3Mock((m) => ({ client, mock } = m));
  beforeEach(() => {
    logged.length = 0;
  });

  it('aborts uploads older than 7 days under the prefix, keeping the ones still referenced and recent ones', async () => {
    mock.on(ListMultipartUploadsCommand).resolves({
      Uploads: [
        { Key: 'v1/a', UploadId: 'old-1', Initiated: new Date(NOW - 8 * DAY) },
        { Key: 'v1/b', UploadId: 'old-kept', Initiated: new Date(NOW - 30 * DAY) },
        { Key: 'v1/c', UploadId: 'recent', Initiated: new Date(NOW - 1 * DAY) },
        { Key: 'v1/d', UploadId: 'no-date' },
        { UploadId: 'no-key', Initiated: new Date(0) },
      ],
    });
    mock.on(AbortMultipartUploadCommand).resolves({});
    const r = await abortStaleUploads({ client, bucket: 'logs', prefix: 'v1/', now: () => NOW, keep: (id) => id === 'old-kept', logger });
    expect(r).to.deep.equal({ supported: true, aborted: 1, kept: 1, failed: 0 });
    expect(mock.commandCalls(ListMultipartUploadsCommand)[0]!.args[0].input).to.include({ Bucket: 'logs', Prefix: 'v1/' });
    expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).to.deep.equal([{ Bucket: 'logs', Key: 'v1/a', UploadId: 'old-1' }]);
    expect(DEFAULT_STALE_MS).to.equal(7 * DAY);
  });

  it('pages through the listing', async () => {
    mock.on(ListMultipartUploadsCommand, { KeyMarker: undefined }).resolves({
      Uploads: [{ Key: 'a', UploadId: '1', Initiated: new Date(0) }], IsTruncated: true, NextKeyMarker: 'a', NextUploadIdMarker: '1',
    });
    mock.on(ListMultipartUploadsCommand, { KeyMarker: 'a' }).resolves({ Uploads: [{ Key: 'b', UploadId: '2', Initiated: new Date(0) }], IsTruncated: false });
    mock.on(AbortMultipartUploadCommand).resolves({});
    const r = await abortStaleUploads({ client, bucket: 'logs', now: () => NOW });
    expect(r.aborted).to.equal(2);
  });

  it('stops when a truncated page gives no markers', async () => {
    mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [], IsTruncated: true });
    const r = await abortStaleUploads({ client, bucket: 'logs', now: () => NOW });
    expect(r).to.deep.equal({ supported: true, aborted: 0, kept: 0, failed: 0 });
    expect(mock.commandCalls(ListMultipartUploadsCommand)).to.have.length(1);
  });

  it('counts failed aborts, ignores ones that are already gone, and carries on', async () => {
    mock.on(ListMultipartUploadsCommand).resolves({
      Uploads: ['x', 'gone', 'y'].map((id) => ({ Key: id, UploadId: id, Initiated: new Date(0) })),
    });
    mock.on(AbortMultipartUploadCommand, { UploadId: 'x' }).rejects(s3Error('AccessDenied', 403));
    mock.on(AbortMultipartUploadCommand, { UploadId: 'gone' }).rejects(s3Error('NoSuchUpload', 404));
    mock.on(AbortMultipartUploadCommand, { UploadId: 'y' }).resolves({});
    const r = await abortStaleUploads({ client, bucket: 'logs', now: () => NOW, logger });
    expect(r).to.deep.equal({ supported: true, aborted: 1, kept: 0, failed: 1 });
    expect(logged).to.include('could not abort stale multipart upload');
  });

  it('counts each failed abort, but not one the server no longer has', async () => {
    mock.on(ListMultipartUploadsCommand).resolves({
      Uploads: ['x1', 'gone', 'x2'].map((id) => ({ Key: id, UploadId: id, Initiated: new Date(0) })),
    });
    mock.on(AbortMultipartUploadCommand, { UploadId: 'x1' }).rejects(s3Error('AccessDenied', 403));
    mock.on(AbortMultipartUploadCommand, { UploadId: 'x2' }).rejects(s3Error('AccessDenied', 403));
    mock.on(AbortMultipartUploadCommand, { UploadId: 'gone' }).rejects(s3Error('NoSuchUpload', 404));
    const r = await abortStaleUploads({ client, bucket: 'logs', now: () => NOW, logger });
    expect(r).to.deep.equal({ supported: true, aborted: 0, kept: 0, failed: 2 });
    expect(logged.filter((m) => m === 'could not abort stale multipart upload')).to.have.length(2);
  });

  it('aborts an upload started exactly at the age limit, not one a millisecond younger', async () => {
    mock.on(ListMultipartUploadsCommand).resolves({
      Uploads: [
        { Key: 'a', UploadId: 'at-limit', Initiated: new Date(NOW - 7 * DAY) },
        { Key: 'b', UploadId: 'younger', Initiated: new Date(NOW - 7 * DAY + 1) },
      ],
    });
    mock.on(AbortMultipartUploadCommand).resolves({});
    const r = await abortStaleUploads({ client, bucket: 'logs', now: () => NOW, logger });
    expect(r.aborted).to.equal(1);
    expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input.UploadId)).to.deep.equal(['at-limit']);
    expect(logged).to.deep.equal(['aborted stale multipart upload']);
  });

  it('passes the caller\'s abort signal to the listing and to each abort', async () => {
    mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [{ Key: 'a', UploadId: '1', Initiated: new Date(0) }] });
    mock.on(AbortMultipartUploadCommand).resolves({});
    const signal = new AbortController().signal;
    await abortStaleUploads({ client, bucket: 'logs', now: () => NOW, signal });
    expect((mock.commandCalls(ListMultipartUploadsCommand)[0]!.args as unknown[])[1]).to.deep.include({ abortSignal: signal });
    expect((mock.commandCalls(AbortMultipartUploadCommand)[0]!.args as unknown[])[1]).to.deep.include({ abortSignal: signal });
  });

  it('stops at a page that is not truncated, whatever markers it carries', async () => {
    mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [], IsTruncated: false, NextKeyMarker: 'k', NextUploadIdMarker: 'u' });
    await abortStaleUploads({ client, bucket: 'logs', now: () => NOW });
    expect(mock.commandCalls(ListMultipartUploadsCommand)).to.have.length(1);
  });

  it('goes on paging with only a key marker', async () => {
    mock.on(ListMultipartUploadsCommand, { KeyMarker: undefined }).resolves({ Uploads: [], IsTruncated: true, NextKeyMarker: 'k' });
    mock.on(ListMultipartUploadsCommand, { KeyMarker: 'k' }).resolves({ Uploads: [], IsTruncated: false });
    await abortStaleUploads({ client, bucket: 'logs', now: () => NOW });
    expect(mock.commandCalls(ListMultipartUploadsCommand).map((c) => c.args[0].input.KeyMarker)).to.deep.equal([undefined, 'k']);
  });

  it('lists at most 1000 pages from a server that always says there is more', async () => {
    let n = 0;
    mock.on(ListMultipartUploadsCommand).callsFake(() => ({ Uploads: [], IsTruncated: true, NextKeyMarker: `k${n++}` }));
    await abortStaleUploads({ client, bucket: 'logs', now: () => NOW });
    expect(mock.commandCalls(ListMultipartUploadsCommand)).to.have.length(1000);
  });

  for (const [what, err] of [
    ['NotImplemented by name', Object.assign(new Error('x'), { name: 'NotImplemented' })],
    ['MethodNotAllowed by name', Object.assign(new Error('x'), { name: 'MethodNotAllowed' })],
    ['HTTP 405', Object.assign(new Error('x'), { $metadata: { httpStatusCode: 405 } })],
    ['HTTP 501', Object.assign(new Error('x'), { $metadata: { httpStatusCode: 501 } })],
  ] as const) {
    it(`reports a server that cannot list uploads as unsupported (${what})`, async () => {
      mock.on(ListMultipartUploadsCommand).rejects(err);
      expect(await abortStaleUploads({ client, bucket: 'logs' })).to.deep.equal({ supported: false, aborted: 0, kept: 0, failed: 0 });
    });
  }

  it('reports servers that cannot list uploads as unsupported', async () => {
    mock.on(ListMultipartUploadsCommand).rejects(s3Error('NotImplemented', 501));
    expect((await abortStaleUploads({ client, bucket: 'logs' })).supported).to.equal(false);
  });

  it('throws a classified error when listing fails otherwise', async () => {
    mock.on(ListMultipartUploadsCommand).rejects(s3Error('AccessDenied', 403));
    try {
      await abortStaleUploads({ client, bucket: 'logs' });
      expect.fail('no error');
    } catch (err) {
      expect(err).to.be.instanceOf(TvmError);
      expect((err as TvmError).code).to.equal(ErrorCodes.S3_ACCESS_DENIED);
      expect((err as TvmError).message).to.match(/^ListMultipartUploads: access denied to bucket "logs"/);
    }
  });
});
