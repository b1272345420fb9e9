/**
 * A 50 MiB log compressed through the pool: the bytes stay in the worker thread. The main
 * thread's heap must not grow by anything like the file size, and the worker's heap stays
 * bounded too. Throughput is printed for information only (never asserted: shared machines).
 */
import { expect } from 'chai';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { CompressPool } from '../../../src/workers/pool.js';
import type { CompressResult } from '../../../src/workers/protocol.js';
import { requestFor, makeTempDir, removeDir, writeLogLikeFile } from '../../unit/workers/helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/misbehaving.worker.ts', import.meta.url));
const MIB = 1024 * 1024;
const SIZE = 50 * MIB;

async function sha256Hex(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(stream, hash);
  return hash.digest('hex');
}

function mainThreadBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('workers/pool with a 50 MiB file', function () {
  this.timeout(180_000);
  let dir: string;
  let src: string;
  let pool: CompressPool;

  before(async () => {
    dir = await makeTempDir();
    src = join(dir, 'measure-memory.log');
    await writeLogLikeFile(src, SIZE);
    pool = new CompressPool({ threads: 1, logger: silentLogger(), workerFile: FIXTURE });
  });
  after(async () => {
    await pool.destroy();
    await removeDir(dir);
  });

  for (const [codec, level, ext] of [['gzip', 6, 'gz'], ['zstd', 3, 'zst']] as const) {
    it(`compresses with ${codec}-${level} in the worker without the main thread holding the file`, async () => {
      const job = await requestFor(src, join(dir, `out.${ext}`), { codec, level, partSize: 8 * MIB });
      const base = mainThreadBytes();
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, mainThreadBytes() - base)), 5);
      let r: CompressResult & { workerHeapGrowth?: number };
      try {
        r = await pool.run(job);
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, mainThreadBytes() - base);
      expect(peak, 'main thread growth').to.be.below(SIZE / 5);
      expect(r.workerHeapGrowth, 'worker heap growth').to.be.a('number').and.below(SIZE / 5);
      expect(r.outputSize).to.equal((await stat(r.uploadPath)).size);
      expect(r.partMd5s).to.have.length(Math.ceil(r.outputSize / (8 * MIB)));
      if (codec === 'gzip') {
        expect(await sha256Hex(createReadStream(r.uploadPath).pipe(createGunzip()))).to.equal(r.sourceSha256);
      }
      expect(await sha256Hex(createReadStream(src))).to.equal(r.sourceSha256);
      const mbps = SIZE / 1e6 / (r.elapsedMs / 1000);
      console.log(
        `      ${codec}-${level}: ${mbps.toFixed(1)} MB/s in the worker, ratio ${(SIZE / r.outputSize).toFixed(2)}, ` +
          `main-thread growth ${(peak / MIB).toFixed(1)} MiB, worker heap growth ${((r.workerHeapGrowth ?? 0) / MIB).toFixed(1)} MiB`,
      );
    });
  }
});
