/**
 * What actually goes over the wire, seen by a minimal loopback HTTP server that records every
 * request and answers like S3 would. This is where the checksum-trailer trap is pinned down:
 * our requests must carry Content-MD5 (and x-amz-checksum-sha256 on single PUTs) and never the
 * aws-chunked framing that S3-compatible servers store inside the object. A real HTTP server:
 * the integration tier (and the src/sinks mutation run names this file, stryker.config.mjs).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import type { S3Config } from '../../../src/config/types.js';
import { createS3Client } from '../../../src/sinks/s3/client.js';
import { S3Uploader } from '../../../src/sinks/s3/uploader.js';
import { multipartEtag } from '../../../src/sinks/s3/etag.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { FakeMultipartStore, resultFor, seededBytes, tempDir, TEST_ENCODING, writeFile } from '../../unit/sinks/fixtures.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function captureServer(): Promise<{ server: Server; endpoint: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const partMd5s = new Map<number, Buffer>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = new URL(req.url ?? '/', 'http://x');
      const md5 = createHash('md5').update(body).digest();
      if (req.method === 'PUT' && url.searchParams.has('partNumber')) {
        partMd5s.set(Number(url.searchParams.get('partNumber')), md5);
        res.writeHead(200, { ETag: `"${md5.toString('hex')}"` }).end();
      } else if (req.method === 'PUT') {
        res.writeHead(200, { ETag: `"${md5.toString('hex')}"` }).end();
      } else if (req.method === 'POST' && url.searchParams.has('uploads')) {
        res.writeHead(200, { 'Content-Type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>');
      } else if (req.method === 'POST' && url.searchParams.has('uploadId')) {
        const md5s = [...partMd5s.entries()].sort((a, b) => a[0] - b[0]).map(([, m]) => m.toString('base64'));
        res.writeHead(200, { 'Content-Type': 'application/xml' });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><ETag>"${multipartEtag(md5s)}"</ETag></CompleteMultipartUploadResult>`);
      } else {
        res.writeHead(404).end();
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, endpoint: `http://127.0.0.1:${port}`, seen });
    });
  });
}

function expectNoTrailer(h: IncomingHttpHeaders): void {
  expect(h['content-encoding'] ?? '').not.to.include('aws-chunked');
  expect(h).not.to.have.property('x-amz-trailer');
  expect(h).not.to.have.property('x-amz-decoded-content-length');
  expect(h['transfer-encoding']).to.equal(undefined);
  expect(h['x-amz-content-sha256'] ?? '').not.to.include('STREAMING');
}

describe('sinks/s3 wire format (loopback capture server)', () => {
  let cap: Awaited<ReturnType<typeof captureServer>>;
  const t = tempDir();
  const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  let s3: S3Config;

  before(async () => {
    cap = await captureServer();
    s3 = {
      bucket: 'b', region: 'us-east-1', profile: null, endpoint: cap.endpoint, forcePathStyle: true, conditionalWrites: false,
      storageClass: 'STANDARD_IA', serverSideEncryption: 'aws:kms', kmsKeyId: 'arn:aws:kms:us-east-1:1:key/k',
    };
  });
  after(async () => {
    await new Promise((r) => cap.server.close(r));
    t.cleanup();
  });
  beforeEach(() => {
    cap.seen.length = 0;
  });

  it('sends a single PUT with Content-MD5, Content-Length, SHA-256 checksum, metadata, SSE and no trailer', async () => {
    const bytes = seededBytes(300_000, 3);
    const result = resultFor(writeFile(t.dir, 'single.gz', bytes), 1024 * 1024);
    const { client } = createS3Client(s3, {}, { credentials: creds });
    const up = new S3Uploader({ client, bucket: 'b', s3, partSize: 1024 * 1024, partConcurrency: 2, multipart: new FakeMultipartStore(), logger: silentLogger() });
    const out = await up.upload({
      fileId: 1, key: 'v/2024-06-01/ros/ü #+.log.gz', result, metadata: { 'source-sha256': result.sourceSha256 },
      contentType: 'application/gzip', verifyRemote: false, encoding: TEST_ENCODING,
    });
    client.destroy();
    expect(out.bytesSent).to.equal(bytes.length);
    expect(cap.seen).to.have.length(1);
    const put = cap.seen[0]!;
    expect(put.method).to.equal('PUT');
    expect(put.url.split('?')[0]).to.equal('/b/v/2024-06-01/ros/%C3%BC%20%23%2B.log.gz');
    expect(put.headers).to.include({
      'content-md5': result.outputMd5,
      'content-length': String(bytes.length),
      'x-amz-checksum-sha256': result.outputSha256,
      'content-type': 'application/gzip',
      'x-amz-meta-source-sha256': result.sourceSha256,
      'x-amz-storage-class': 'STANDARD_IA',
      'x-amz-server-side-encryption': 'aws:kms',
      'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:us-east-1:1:key/k',
    });
    expect(put.headers).not.to.have.property('content-encoding');
    expectNoTrailer(put.headers);
    expect(put.body.equals(bytes)).to.equal(true);
  });

  it('sends every part with its own Content-MD5 and exact byte range, and no trailer', async () => {
    const partSize = 256 * 1024;
    const bytes = seededBytes(3 * partSize + 1234, 4);
    const result = resultFor(writeFile(t.dir, 'multi.gz', bytes), partSize);
    const { client } = createS3Client({ ...s3, serverSideEncryption: null, storageClass: null }, {}, { credentials: creds });
    const store = new FakeMultipartStore();
    const up = new S3Uploader({ client, bucket: 'b', s3: { ...s3, serverSideEncryption: null, storageClass: null }, partSize, partConcurrency: 2, multipart: store, logger: silentLogger() });
    const out = await up.upload({ fileId: 2, key: 'k.gz', result, metadata: {}, contentType: 'application/gzip', verifyRemote: false, encoding: TEST_ENCODING });
    client.destroy();
    expect(out.etag).to.equal(`"${multipartEtag(result.partMd5s)}"`);
    const parts = cap.seen.filter((s) => s.method === 'PUT');
    expect(parts).to.have.length(4);
    for (const p of parts) {
      const n = Number(new URL(p.url, 'http://x').searchParams.get('partNumber'));
      const slice = bytes.subarray((n - 1) * partSize, n * partSize);
      expect(p.headers['content-md5']).to.equal(result.partMd5s[n - 1]);
      expect(p.headers['content-length']).to.equal(String(slice.length));
      expectNoTrailer(p.headers);
      expect(p.body.equals(slice)).to.equal(true);
    }
    const complete = cap.seen.find((s) => s.method === 'POST' && s.url.includes('uploadId'))!;
    expect(complete.body.toString()).to.match(/<PartNumber>1<\/PartNumber>[\s\S]*<PartNumber>4<\/PartNumber>/);
  });

  it('(why client.ts says WHEN_REQUIRED) the SDK default would frame an MD5-only part as aws-chunked with a CRC32 trailer', async () => {
    const raw = new S3Client({
      region: 'us-east-1', endpoint: cap.endpoint, forcePathStyle: true, credentials: creds,
      requestChecksumCalculation: 'WHEN_SUPPORTED',
    });
    const body = seededBytes(10_000, 5);
    await raw.send(new UploadPartCommand({
      Bucket: 'b', Key: 'k', UploadId: 'u', PartNumber: 1, Body: Readable.from([body]), ContentLength: body.length,
      ContentMD5: createHash('md5').update(body).digest('base64'),
    })).catch(() => undefined);
    raw.destroy();
    const part = cap.seen[0]!;
    expect(part.headers['content-encoding']).to.include('aws-chunked');
    expect(part.headers['x-amz-trailer']).to.equal('x-amz-checksum-crc32');
    expect(part.body.length).to.be.above(body.length);
  });
});
