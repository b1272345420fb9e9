/**
 * The request engine run in-process (the same code the worker thread runs; pool.test.ts covers the
 * thread boundary). Every checksum is recomputed here from the bytes on disk.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'zstd-napi';
import { handleRequest } from '../../../src/workers/compress.worker.js';
import type { CompressResult, WorkerReply } from '../../../src/workers/protocol.js';
import { digestsOf, exists, fileDigests, requestFor, logLikeText, makeTempDir, removeDir, writeLogLikeFile } from './helpers.js';

const PART = 64 * 1024;

function ok(reply: WorkerReply): CompressResult {
  if (reply.kind !== 'compressed') expect.fail(`expected success, got ${reply.code}: ${reply.message}`);
  return reply;
}

async function expectHashesMatch(result: CompressResult, sourceBytes: Buffer): Promise<void> {
  const out = await fileDigests(result.uploadPath, PART);
  expect(result.sourceSha256).to.equal(digestsOf(sourceBytes, PART).sha256Hex);
  expect(result.outputSha256).to.equal(out.sha256B64);
  expect(result.outputMd5).to.equal(out.md5B64);
  expect(result.partMd5s).to.deep.equal(out.partMd5s);
  expect(result.sourceSize).to.equal(sourceBytes.length);
}

describe('workers/compress-engine', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeDir(dir);
  });

  it('gzips a small file in one shot into a stream that gunzips to the source', async () => {
    const src = join(dir, 'small.log');
    const data = logLikeText(300_000);
    await writeFile(src, data);
    const request = await requestFor(src, join(dir, 'spool', 'small.log.gz'));
    const r = ok(await handleRequest(request));
    expect(r).to.include({ kind: 'compressed', codec: 'gzip', storedReason: null, uploadPath: request.outputPath });
    expect(r.sourceMtimeMs).to.equal(request.expectedMtimeMs);
    const gz = await readFile(r.uploadPath);
    expect(r.outputSize).to.equal(gz.length);
    expect(gunzipSync(gz).equals(data)).to.equal(true);
    await expectHashesMatch(r, data);
    expect(await readdir(join(dir, 'spool'))).to.deep.equal(['small.log.gz']);
  });

  it('streams a file larger than the sample and cuts part MD5s at partSize offsets', async () => {
    const src = join(dir, 'big.log');
    await writeLogLikeFile(src, 3 * 1024 * 1024 + 123);
    const data = await readFile(src);
    const r = ok(await handleRequest(await requestFor(src, join(dir, 'big.log.gz'))));
    const gz = await readFile(r.uploadPath);
    expect(gunzipSync(gz).equals(data)).to.equal(true);
    expect(r.partMd5s.length).to.equal(Math.ceil(gz.length / PART)).and.to.be.at.least(3);
    expect(gz.length % PART).to.not.equal(0);
    await expectHashesMatch(r, data);
  });

  it('reports the SHA-256 of the first prefixSize source bytes, streamed, one-shot and stored as is', async () => {
    for (const [name, size, codec] of [['one-shot.log', 200_000, 'gzip'], ['streamed.log', 2 * 1024 * 1024, 'gzip'], ['stored.log', 200_000, 'none']] as const) {
      const src = join(dir, name);
      await writeLogLikeFile(src, size);
      const data = await readFile(src);
      const r = ok(await handleRequest({ ...(await requestFor(src, join(dir, `${name}.out`), { codec })), prefixSize: 12_345 }));
      expect(r.prefixSha256, name).to.equal(digestsOf(data.subarray(0, 12_345), PART).sha256Hex);
    }
  });

  it('stores a file as it is, writing nothing to the spool, when told the spool has no room', async () => {
    const src = join(dir, 'log.log');
    await writeLogLikeFile(src, 300_000);
    const request = await requestFor(src, join(dir, 'spool', 'x.gz'));
    const r = ok(await handleRequest({ ...request, noSpool: true }));
    expect(r).to.include({ codec: 'none', storedReason: 'spool-full', uploadPath: src });
    await expectHashesMatch(r, await readFile(src));
    expect(await exists(join(dir, 'spool'))).to.equal(false);
  });

  it('compresses with zstd at the requested level, streamed and one-shot', async () => {
    for (const size of [200_000, 2 * 1024 * 1024]) {
      const src = join(dir, `z${size}.log`);
      await writeLogLikeFile(src, size);
      const data = await readFile(src);
      const r = ok(await handleRequest(await requestFor(src, join(dir, `z${size}.log.zst`), { codec: 'zstd', level: 3 })));
      expect(r.codec).to.equal('zstd');
      expect(zstdDecompress(await readFile(r.uploadPath)).equals(data)).to.equal(true);
      await expectHashesMatch(r, data);
    }
  });

  it('honours the gzip level', async () => {
    const src = join(dir, 'lvl.log');
    await writeLogLikeFile(src, 2 * 1024 * 1024);
    const fast = ok(await handleRequest(await requestFor(src, join(dir, 'l1.gz'), { level: 1 })));
    const best = ok(await handleRequest(await requestFor(src, join(dir, 'l9.gz'), { level: 9 })));
    expect(best.outputSize).to.be.below(fast.outputSize);
  });

  it("stores the file as it is for codec 'none', with per-part MD5s of 2.5 parts", async () => {
    const src = join(dir, 'plain.log');
    const data = logLikeText(PART * 2.5);
    await writeFile(src, data);
    const request = await requestFor(src, join(dir, 'never-written.log'), { codec: 'none' });
    const r = ok(await handleRequest(request));
    expect(r).to.include({ codec: 'none', storedReason: 'codec-none', uploadPath: src, outputSize: data.length });
    expect(r.partMd5s).to.have.length(3);
    await expectHashesMatch(r, data);
    expect(Buffer.from(r.outputSha256, 'base64').toString('hex')).to.equal(r.sourceSha256);
    expect(await exists(request.outputPath)).to.equal(false);
  });

  const MAGIC: Array<[string, number[]]> = [
    ['gzip', [0x1f, 0x8b, 0x08, 0x00]],
    ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
    ['bzip2', [...Buffer.from('BZh9')]],
    ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
    ['lz4', [0x04, 0x22, 0x4d, 0x18]],
    ['zip', [0x50, 0x4b, 0x03, 0x04]],
    ['7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
  ];
  for (const [format, magic] of MAGIC) {
    it(`stores a ${format} file as it is, recognised by its magic bytes (even when the rest would compress)`, async () => {
      const src = join(dir, `data-${format}.log`);
      const data = Buffer.concat([Buffer.from(magic), logLikeText(100_000)]);
      await writeFile(src, data);
      const request = await requestFor(src, join(dir, `out-${format}`));
      const r = ok(await handleRequest(request));
      expect(r).to.include({ codec: 'none', storedReason: `magic:${format}`, uploadPath: src });
      await expectHashesMatch(r, data);
      expect(await exists(request.outputPath)).to.equal(false);
    });
  }

  it('stores random data as incompressible, both below and above the sample size', async () => {
    for (const size of [300_000, 1024 * 1024 + 300_000]) {
      const src = join(dir, `random-${size}.bin`);
      const data = randomBytes(size);
      await writeFile(src, data);
      const request = await requestFor(src, join(dir, `random-${size}.gz`), { codec: size > 1e6 ? 'zstd' : 'gzip', level: 3 });
      const r = ok(await handleRequest(request));
      expect(r).to.include({ codec: 'none', storedReason: 'incompressible', uploadPath: src });
      await expectHashesMatch(r, data);
      expect(await exists(request.outputPath)).to.equal(false);
    }
  });

  it('stores files with a skipped extension without reading them for a trial compression', async () => {
    const src = join(dir, 'drive.MCAP');
    const data = logLikeText(50_000);
    await writeFile(src, data);
    const r = ok(await handleRequest(await requestFor(src, join(dir, 'drive.gz'), { skipExtensions: ['.mcap', '.bag'] })));
    expect(r).to.include({ codec: 'none', storedReason: 'extension', uploadPath: src });
    await expectHashesMatch(r, data);
  });

  it('compresses a zero-byte file (a log born empty keeps one key as it grows) with the checksums of nothing as source', async () => {
    const src = join(dir, 'empty.log');
    await writeFile(src, '');
    const request = await requestFor(src, join(dir, 'empty.log.gz'));
    const r = ok(await handleRequest(request));
    expect(r).to.include({ codec: 'gzip', storedReason: null, uploadPath: request.outputPath, sourceSize: 0 });
    expect(r.sourceSha256).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(gunzipSync(await readFile(request.outputPath)).length).to.equal(0);
    expect(r.partMd5s).to.deep.equal([r.outputMd5]);
  });

  it('compresses a tiny file even when gzip cannot shrink it, so the key does not change as it grows', async () => {
    const src = join(dir, 'tiny.log');
    await writeFile(src, randomBytes(100));
    const request = await requestFor(src, join(dir, 'tiny.log.gz'));
    const r = ok(await handleRequest(request));
    expect(r.codec).to.equal('gzip');
    expect(r.outputSize).to.be.greaterThan(100);
  });

  it('handles unicode, spaces and newlines in source and output names', async () => {
    const sub = join(dir, 'fahrt 2026 — Ü');
    const src = join(sub, 'log ü 日本\nzweite zeile .log');
    const data = logLikeText(100_000);
    await mkdir(sub, { recursive: true });
    await writeFile(src, data);
    const r = ok(await handleRequest(await requestFor(src, join(dir, 'spool ✓', 'log ü 日本\nzweite zeile .log.gz'))));
    expect(gunzipSync(await readFile(r.uploadPath)).equals(data)).to.equal(true);
    expect(r.uploadPath).to.contain('\n');
  });

  it('reports elapsed wall time from the injected clock', async () => {
    const src = join(dir, 'clock.log');
    await writeFile(src, logLikeText(10_000));
    let t = 1000;
    const r = ok(await handleRequest(await requestFor(src, join(dir, 'clock.gz')), { now: () => (t += 250) }));
    expect(r.elapsedMs).to.equal(250);
  });
});
