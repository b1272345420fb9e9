/**
 * A small output the worker handed back in memory (CompressResult.body): the uploader PUTs that
 * buffer with the same Content-MD5 / SHA-256 headers and ETag check as a spool file, and touches
 * no file at all (uploadPath names a file that does not exist here).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';
import { ErrorCodes } from '../../../../src/errors.js';
import { md5Base64ToHex } from '../../../../src/sinks/s3/etag.js';
import { S3Uploader, type ObjectUpload } from '../../../../src/sinks/s3/uploader.js';
import { Throttle } from '../../../../src/sinks/throttle.js';
import { silentLogger } from '../../../../src/telemetry/logger.js';
import { caught } from '../../../support/caught.js';
import { FakeMultipartStore, resultFor, s3Error, seededBytes, tempDir, TEST_ENCODING, writeFile, useS3Mock } from '../fixtures.js';

const s3 = { storageClass: null, serverSideEncryption: null, kmsKeyId: null };
const PART = 64 * 1024;

async function drain(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('sinks/s3/S3Uploader (a body in memory)', () => {
  let client: S3Client;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let mock: AwsStub<any, any, any>;
  const t = tempDir();
  // Larger than one body slice (64 KiB) and than the part size: a body in memory is one PUT whatever its size.
  const bytes = seededBytes(150_000, 3);
  let job: ObjectUpload;

  useS3Mock((m) => ({ client, mock } = m));
  before(() => {
    const hashedFrom = writeFile(t.dir, 'hashed-from.gz', bytes);
    // The digests of `bytes`; the path the result names does not exist, so any read or stat fails.
    const result = { ...resultFor(hashedFrom, PART), uploadPath: join(t.dir, 'never-written.gz'), body: new Uint8Array(bytes) };
    job = { fileId: 3, key: 'v/2024-06-01/ros/small.log.gz', result, metadata: { 'source-sha256': result.sourceSha256 }, contentType: 'application/gzip', verifyRemote: false, encoding: TEST_ENCODING };
  });
  after(() => t.cleanup());

  const uploader = (throttle?: Throttle): S3Uploader =>
    new S3Uploader({ client, bucket: 'logs', s3, partSize: PART, partConcurrency: 2, multipart: new FakeMultipartStore(), logger: silentLogger(), throttle });
  const etagOf = (b64: string): string => `"${md5Base64ToHex(b64)}"`;

  /** Answers every PutObject with the MD5 ETag of what it received, and keeps the bodies. */
  function storing(): Buffer[] {
    const received: Buffer[] = [];
    mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      const body = await drain(input.Body);
      received.push(body);
      return { ETag: `"${createHash('md5').update(body).digest('hex')}"` };
    });
    return received;
  }

  it('PUTs the buffer itself with Content-MD5, SHA-256 and length, reading no file', async () => {
    const received = storing();
    const out = await uploader().upload(job);
    expect(out).to.deep.equal({ etag: etagOf(job.result.outputMd5), skipped: false, bytesSent: bytes.length });
    expect(received).to.have.length(1);
    expect(received[0]!.equals(bytes)).to.equal(true);
    const input = mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(input).to.include({ ContentLength: bytes.length, ContentMD5: job.result.outputMd5, ChecksumSHA256: job.result.outputSha256, Key: job.key });
  });

  it('reports S3_INTEGRITY when the ETag proves the server stored other bytes', async () => {
    mock.on(PutObjectCommand).resolves({ ETag: '"00000000000000000000000000000000"' });
    const e = await caught(uploader().upload(job));
    expect(e.code).to.equal(ErrorCodes.S3_INTEGRITY);
    expect(e.details).to.include({ key: job.key });
  });

  it('sends the same bytes again when a failed PUT is retried with the same result', async () => {
    const received: Buffer[] = [];
    let calls = 0;
    mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      received.push(await drain(input.Body));
      calls++;
      if (calls === 1) throw s3Error('ServiceUnavailable', 503);
      return { ETag: etagOf(job.result.outputMd5) };
    });
    const first = await caught(uploader().upload(job));
    expect(first.retriable).to.equal(true);
    await uploader().upload(job);
    expect(received).to.have.length(2);
    expect(received[1]!.equals(bytes)).to.equal(true);
    expect(received[1]!.equals(received[0]!)).to.equal(true);
  });

  it('passes the buffer through the bandwidth throttle and its byte meter', async () => {
    storing();
    const throttle = new Throttle({ bytesPerSecond: 100 * 1024 * 1024 });
    let metered = 0;
    throttle.observer = {
      observe: (source: Readable) => {
        source.on('data', (c: Buffer) => (metered += c.length));
        return { body: source, release: () => undefined };
      },
    };
    await uploader(throttle).upload(job);
    expect(metered).to.equal(bytes.length);
  });
});
