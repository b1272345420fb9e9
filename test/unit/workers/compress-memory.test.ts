/**
 * Small outputs handed back in memory (CompressRequest.memoryMaxBytes): the engine writes no spool
 * file, the body carries the same checksums a spool file would, and across the thread boundary
 * its ArrayBuffer is moved rather than copied.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { transferableSymbol, valueSymbol } from 'piscina';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { forPosting, handleRequest } from '../../../src/workers/compress.worker.js';
import { CompressPool } from '../../../src/workers/pool.js';
import type { CompressResult, WorkerReply } from '../../../src/workers/protocol.js';
import { SAMPLE_BYTES } from '../../../src/workers/sniff.js';
import { digestsOf, exists, logLikeText, makeTempDir, removeDir, requestFor, writeLogLikeFile } from './helpers.js';

const PART = 64 * 1024;
const MAX = 256 * 1024;

function ok(reply: WorkerReply): CompressResult {
  if (reply.kind !== 'compressed') expect.fail(`expected success, got ${reply.code}: ${reply.message}`);
  return reply;
}

function bodyOf(r: CompressResult): Buffer {
  if (r.body === undefined) expect.fail('expected the output in memory');
  return Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength);
}

/** The body's checksums, computed independently, equal the ones reported. */
function expectDigestsOfBody(r: CompressResult, source: Buffer): void {
  const body = bodyOf(r);
  const d = digestsOf(body, PART);
  expect(r.outputSize).to.equal(body.length);
  expect(r.outputSha256).to.equal(d.sha256B64);
  expect(r.outputMd5).to.equal(d.md5B64);
  expect(r.partMd5s).to.deep.equal(d.partMd5s);
  expect(r.sourceSha256).to.equal(digestsOf(source, PART).sha256Hex);
  expect(r.sourceSize).to.equal(source.length);
}

describe('workers/compress-engine (small outputs in memory)', () => {
  let dir: string;
  let spool: string;
  beforeEach(async () => {
    dir = await makeTempDir();
    spool = join(dir, 'spool');
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('compresses a small file in memory: the body gunzips to the source, and no spool file or folder is made', async () => {
    const src = join(dir, 'small.log');
    const data = logLikeText(300_000);
    await writeFile(src, data);
    const request = await requestFor(src, join(spool, '7.gz'), { memoryMaxBytes: MAX });
    const r = ok(await handleRequest(request));
    expect(r).to.include({ codec: 'gzip', storedReason: null, uploadPath: src });
    expect(gunzipSync(bodyOf(r)).equals(data)).to.equal(true);
    expectDigestsOfBody(r, data);
    expect(await exists(spool)).to.equal(false);
  });

  it('gives the body an ArrayBuffer of its own, so it can be moved to the main thread', async () => {
    for (const size of [0, 100, 3000, 70_000]) {
      const src = join(dir, `f${size}.log`);
      await writeFile(src, logLikeText(size));
      const r = ok(await handleRequest(await requestFor(src, join(spool, `${size}.gz`), { memoryMaxBytes: MAX })));
      const body = r.body!;
      expect([body.byteOffset, body.buffer.byteLength], `size ${size}`).to.deep.equal([0, body.byteLength]);
    }
  });

  it('keeps a file stored as is in memory too (already compressed, codec none): the source is read once', async () => {
    const gz = join(dir, 'old.log.gz');
    const gzBytes = gzipSync(logLikeText(50_000));
    await writeFile(gz, gzBytes);
    const stored = ok(await handleRequest(await requestFor(gz, join(spool, '1.gz'), { memoryMaxBytes: MAX })));
    expect(stored).to.include({ codec: 'none', storedReason: 'magic:gzip', uploadPath: gz });
    expect(bodyOf(stored).equals(gzBytes)).to.equal(true);
    expectDigestsOfBody(stored, gzBytes);

    const raw = join(dir, 'raw.log');
    const rawBytes = logLikeText(2000);
    await writeFile(raw, rawBytes);
    const none = ok(await handleRequest(await requestFor(raw, join(spool, '2'), { codec: 'none', memoryMaxBytes: MAX })));
    expect(none).to.include({ codec: 'none', storedReason: 'codec-none' });
    expect(bodyOf(none).equals(rawBytes)).to.equal(true);
    expect(await exists(spool)).to.equal(false);
  });

  it('keeps an incompressible small file in memory as it is', async () => {
    const src = join(dir, 'noise.bin');
    const data = randomBytes(100_000);
    await writeFile(src, data);
    const r = ok(await handleRequest(await requestFor(src, join(spool, '3.gz'), { memoryMaxBytes: MAX })));
    expect(r).to.include({ codec: 'none', storedReason: 'incompressible' });
    expect(bodyOf(r).equals(data)).to.equal(true);
  });

  it('hashes the prefix of a grown file in memory as on the spool path', async () => {
    const src = join(dir, 'grown.log');
    const data = logLikeText(200_000);
    await writeFile(src, data);
    const r = ok(await handleRequest(await requestFor(src, join(spool, '4.gz'), { memoryMaxBytes: MAX, prefixSize: 1234 })));
    expect(r.prefixSha256).to.equal(createHash('sha256').update(data.subarray(0, 1234)).digest('hex'));
    expect(r.body).to.not.equal(undefined);
  });

  it('uses the spool when both the source and its output exceed the bound', async () => {
    const src = join(dir, 'mid.log');
    const data = logLikeText(300_000);
    await writeFile(src, data);
    const r = ok(await handleRequest(await requestFor(src, join(spool, '5.gz'), { memoryMaxBytes: 1000 })));
    expect(r.body).to.equal(undefined);
    expect(r.uploadPath).to.equal(join(spool, '5.gz'));
    expect(await readdir(spool)).to.deep.equal(['5.gz']);
  });

  it('streams a file larger than the sample to the spool even when its output would fit', async () => {
    const src = join(dir, 'big.log');
    await writeLogLikeFile(src, SAMPLE_BYTES + 5000);
    const r = ok(await handleRequest(await requestFor(src, join(spool, '6.gz'), { memoryMaxBytes: SAMPLE_BYTES })));
    expect(r.outputSize).to.be.below(SAMPLE_BYTES);
    expect(r.body).to.equal(undefined);
    expect(await readdir(spool)).to.deep.equal(['6.gz']);
  });

  it('rejects a request whose memoryMaxBytes is not a non-negative integer', async () => {
    const src = join(dir, 'x.log');
    await writeFile(src, 'x');
    for (const bad of [-1, 1.5, '100']) {
      const reply = await handleRequest({ ...(await requestFor(src, join(spool, 'x.gz'))), memoryMaxBytes: bad });
      expect(reply).to.include({ kind: 'failed' });
      expect((reply as { message: string }).message).to.contain('memoryMaxBytes');
    }
  });

  it('marks a reply with a body to be moved (its ArrayBuffer in the transfer list), and posts others as they are', () => {
    const body = new Uint8Array([1, 2, 3]);
    const reply: CompressResult = {
      kind: 'compressed', codec: 'gzip', storedReason: null, uploadPath: '/x', sourceSize: 9, sourceMtimeMs: 0, sourceSha256: '', outputSize: 3,
      outputSha256: '', outputMd5: '', partMd5s: [], elapsedMs: 0, body,
    };
    const posted = forPosting(reply) as Record<symbol, unknown>;
    expect(posted[transferableSymbol]).to.deep.equal([body.buffer]);
    expect(posted[valueSymbol]).to.equal(reply);
    const failure: WorkerReply = { kind: 'failed', code: 'X', message: 'm', syscallCode: null };
    expect(forPosting(failure)).to.equal(failure);
    const { body: _omit, ...noBody } = reply;
    expect(forPosting(noBody)).to.equal(noBody);
  });

  it('delivers the body across a real worker thread intact', async function () {
    this.timeout(30_000);
    const pool = new CompressPool({ threads: 1, logger: silentLogger() });
    try {
      const src = join(dir, 'thread.log');
      const data = logLikeText(120_000);
      await writeFile(src, data);
      const r = await pool.run(await requestFor(src, join(spool, '8.gz'), { memoryMaxBytes: MAX }));
      expect(r.body).to.be.instanceOf(Uint8Array);
      expect(gunzipSync(bodyOf(r)).equals(data)).to.equal(true);
      expectDigestsOfBody(r, data);
      expect(await exists(spool)).to.equal(false);
    } finally {
      await pool.destroy();
    }
  });
});
