/**
 * CompressPool with real worker threads: results and failures cross the thread boundary intact,
 * a crashing worker fails only its request, the pool is bounded, and close()/destroy() behave.
 * Real threads (each start loads the worker module, ≈ 100 ms here): the integration tier. The
 * mutation run of src/workers includes this file (stryker.config.mjs), since pool.ts is only
 * tested here.
 */
import { expect } from 'chai';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { decompress as zstdDecompress } from 'zstd-napi';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { CompressPool, INLINE_MAX_BYTES, WORKER_RESOURCE_LIMITS, resolveWorkerFile, workerExecArgv } from '../../../src/workers/pool.js';
import { caught } from '../../support/caught.js';
import { digestsOf, fileDigests, requestFor, logLikeText, makeTempDir, removeDir } from '../../unit/workers/helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/misbehaving.worker.ts', import.meta.url));
const PART = 64 * 1024;


interface Captured {
  logger: ReturnType<typeof silentLogger>;
  lines: Array<Record<string, unknown>>;
  /** Resolves when the first line is logged: lets a test wait for an event without sleeping. */
  firstLine: Promise<void>;
}

function capturingLogger(): Captured {
  const lines: Array<Record<string, unknown>> = [];
  let logged!: () => void;
  const firstLine = new Promise<void>((resolve) => (logged = resolve));
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      logged();
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines, firstLine };
}

describe('workers/pool', () => {
  let dir: string;
  const pools: CompressPool[] = [];
  function makePool(options: Partial<ConstructorParameters<typeof CompressPool>[0]> = {}): CompressPool {
    const pool = new CompressPool({ threads: 1, logger: silentLogger(), ...options });
    pools.push(pool);
    return pool;
  }
  async function source(name: string, bytes = 200_000): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, logLikeText(bytes));
    return path;
  }

  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.destroy()));
    await removeDir(dir);
  });

  it('compresses with gzip in a worker thread; output and checksums verify independently', async () => {
    const pool = makePool();
    const src = await source('a.log', 1_500_000);
    const r = await pool.run(await requestFor(src, join(dir, 'out', 'a.log.gz')));
    const data = await readFile(src);
    expect(gunzipSync(await readFile(r.uploadPath)).equals(data)).to.equal(true);
    const out = await fileDigests(r.uploadPath, PART);
    expect(r.sourceSha256).to.equal(digestsOf(data, PART).sha256Hex);
    expect([r.outputSha256, r.outputMd5, r.partMd5s]).to.deep.equal([out.sha256B64, out.md5B64, out.partMd5s]);
  });

  it('compresses with zstd in a worker thread', async () => {
    const pool = makePool();
    const src = await source('b.log', 1_500_000);
    const r = await pool.run(await requestFor(src, join(dir, 'b.log.zst'), { codec: 'zstd', level: 3 }));
    expect(zstdDecompress(await readFile(r.uploadPath)).equals(await readFile(src))).to.equal(true);
    expect(r.outputSha256).to.equal((await fileDigests(r.uploadPath, PART)).sha256B64);
  });

  it("passes a file through for codec 'none'", async () => {
    const pool = makePool();
    const src = await source('c.log');
    const r = await pool.run(await requestFor(src, join(dir, 'c.out'), { codec: 'none' }));
    expect(r).to.include({ codec: 'none', storedReason: 'codec-none', uploadPath: src });
    expect(r.partMd5s).to.deep.equal((await fileDigests(src, PART)).partMd5s);
  });

  it('rejects with the worker failure code and the syscall code in details', async () => {
    const pool = makePool();
    const request = { ...(await requestFor(await source('d.log'), join(dir, 'd.gz'))), sourcePath: join(dir, 'gone.log') };
    const err = await caught(pool.run(request));
    expect(err.code).to.equal(ErrorCodes.FILE_VANISHED);
    expect(err.retriability).to.equal('permanent');
    expect(err.details).to.include({ syscallCode: 'ENOENT', sourcePath: request.sourcePath, outputPath: request.outputPath });
  });

  it('reports FILE_CHANGED from a worker whose file grows during the pass', async () => {
    const pool = makePool({ workerFile: FIXTURE });
    const src = await source('append-during-pass', 2_000_000);
    const err = await caught(pool.run(await requestFor(src, join(dir, 'x.gz'))));
    expect(err.code).to.equal(ErrorCodes.FILE_CHANGED);
    expect(err.retriable).to.equal(true);
  });

  for (const [name, pattern] of [
    ['exit-thread', /exited with code: 7/],
    ['uncaught-throw', /uncaught exception in the worker thread/],
    ['reject-task', /handler rejected/],
    ['bad-reply', /unknown reply from worker/],
  ] as const) {
    it(`fails only the request whose worker misbehaves (${name}) and keeps serving the next one`, async () => {
      const { logger } = capturingLogger();
      const pool = makePool({ workerFile: FIXTURE, logger });
      const good = await source('good.log');
      const bad = await source(name);
      const err = await caught(pool.run(await requestFor(bad, join(dir, 'bad.gz'))));
      expect(err.code).to.equal(ErrorCodes.WORKER_FAILED);
      expect(err.retriable).to.equal(true);
      expect(err.message).to.match(pattern);
      const r = await pool.run(await requestFor(good, join(dir, 'good.gz')));
      expect(r.kind).to.equal('compressed');
    });
  }

  it('fails only the crashing request while another thread finishes its own', async () => {
    const pool = makePool({ workerFile: FIXTURE, threads: 2 });
    const good = await source('good.log', 1_500_000);
    const [crashed, fine] = await Promise.allSettled([
      pool.run(await requestFor(await source('exit-thread'), join(dir, 'bad.gz'))),
      pool.run(await requestFor(good, join(dir, 'good.gz'))),
    ]);
    expect(crashed.status).to.equal('rejected');
    expect(fine.status).to.equal('fulfilled');
  });

  it('fails requests with WORKER_FAILED naming the module when the worker file does not exist', async () => {
    const pool = makePool({ workerFile: join(dir, 'no-such.worker.js') });
    const err = await caught(pool.run(await requestFor(await source('e.log'), join(dir, 'e.gz'))));
    expect(err.code).to.equal(ErrorCodes.WORKER_FAILED);
    expect(err.message).to.contain('no-such.worker.js');
  });

  describe('small files on the calling thread', () => {
    it('compresses a file of up to INLINE_MAX_BYTES without starting a thread, with the result a worker gives', async () => {
      const src = await source('small.log', INLINE_MAX_BYTES);
      const request = await requestFor(src, join(dir, 'small.gz'), { memoryMaxBytes: 256 * 1024 });
      const inline = makePool();
      const here = await inline.run(request);
      expect(inline.liveThreads, 'no worker thread for a small file').to.equal(0);
      const threaded = makePool({ inlineMaxBytes: 0 });
      const there = await threaded.run(request);
      expect(threaded.liveThreads).to.equal(1);
      const { elapsedMs: _a, body: bodyHere, ...restHere } = here;
      const { elapsedMs: _b, body: bodyThere, ...restThere } = there;
      expect(restHere).to.deep.equal(restThere);
      expect(Buffer.from(bodyHere!).equals(Buffer.from(bodyThere!))).to.equal(true);
      expect(gunzipSync(bodyHere!).equals(await readFile(src))).to.equal(true);
    });

    it('sends a file one byte over the bound to a worker thread', async () => {
      const pool = makePool();
      const r = await pool.run(await requestFor(await source('over.log', INLINE_MAX_BYTES + 1), join(dir, 'over.gz')));
      expect(r.kind).to.equal('compressed');
      expect(pool.liveThreads).to.equal(1);
    });

    it('rejects an inline failure exactly as a worker failure', async () => {
      const pool = makePool();
      const request = { ...(await requestFor(await source('f.log', 1000), join(dir, 'f.gz'))), sourcePath: join(dir, 'gone.log') };
      const err = await caught(pool.run(request));
      expect(pool.liveThreads).to.equal(0);
      expect(err.code).to.equal(ErrorCodes.FILE_VANISHED);
      expect(err.details).to.include({ syscallCode: 'ENOENT', sourcePath: request.sourcePath, outputPath: request.outputPath });
      const malformed = await caught(pool.run({ ...request, sourcePath: join(dir, 'f.log'), level: 1.5 }));
      expect(malformed.code).to.equal(ErrorCodes.WORKER_FAILED);
      expect(malformed.message).to.contain('level must be an integer');
    });

    it('rejects with AbortError, reading nothing, when the signal aborted before the request ran', async () => {
      const pool = makePool();
      const ctrl = new AbortController();
      ctrl.abort(new Error('link lost'));
      const err = await pool.run(await requestFor(await source('g.log', 1000), join(dir, 'g.gz')), ctrl.signal).then(
        () => expect.fail('resolved'),
        (e: unknown) => e as Error,
      );
      expect(err.name).to.equal('AbortError');
      expect((err.cause as Error).message).to.equal('link lost');
    });

    it('runs every request on a thread when a custom worker module is given, or inlineMaxBytes is 0', async () => {
      expect(makePool({ workerFile: FIXTURE }).inlineMaxBytes).to.equal(0);
      expect(makePool().inlineMaxBytes).to.equal(INLINE_MAX_BYTES);
      expect(() => new CompressPool({ threads: 1, inlineMaxBytes: -1, logger: silentLogger() })).to.throw(TvmError, /inlineMaxBytes/);
    });
  });

  it('starts no thread until the first request, and retires a thread that stays idle', async () => {
    const pool = makePool({ threads: 2, idleTimeoutMs: 200 });
    expect(pool.liveThreads, 'no isolate before any work').to.equal(0);
    const r = await pool.run(await requestFor(await source('idle.log'), join(dir, 'idle.gz')));
    expect(r.kind).to.equal('compressed');
    expect(pool.liveThreads).to.be.greaterThan(0);
    for (let i = 0; i < 300 && pool.liveThreads > 0; i++) await new Promise((res) => setTimeout(res, 50));
    expect(pool.liveThreads, 'the idle thread was retired').to.equal(0);
    // A retired pool still serves: the next request starts a thread again.
    expect((await pool.run(await requestFor(await source('again.log'), join(dir, 'again.gz')))).kind).to.equal('compressed');
  });

  it('runs its threads under heap limits', async () => {
    const pool = makePool({ workerFile: FIXTURE });
    const r = await pool.run(await requestFor(await source('report-limits'), join(dir, 'limits.gz')));
    expect(r.kind).to.equal('compressed');
    expect((r as unknown as { resourceLimits: Record<string, number> }).resourceLimits).to.include(WORKER_RESOURCE_LIMITS);
  });

  it('logs a worker that crashes between requests instead of throwing, and keeps serving', async () => {
    const { logger, lines, firstLine } = capturingLogger();
    const pool = makePool({ workerFile: FIXTURE, logger });
    const r = await pool.run(await requestFor(await source('throw-after-reply'), join(dir, 'k.gz')));
    expect(r.kind).to.equal('compressed');
    await firstLine;
    expect(lines[0]).to.include({ msg: 'compression worker pool error', level: 50 });
    expect(String((lines[0]!.err as { message?: string }).message)).to.contain('crash after replying');
    expect((await pool.run(await requestFor(await source('l.log'), join(dir, 'l.gz')))).kind).to.equal('compressed');
  });

  describe('capacity', () => {
    it('accepts threads + maxQueue requests, then refuses more until one settles', async () => {
      const pool = makePool({ threads: 1, maxQueue: 1 });
      const request = await requestFor(await source('f.log'), join(dir, 'f.gz'));
      expect(pool.hasCapacity()).to.equal(true);
      const first = pool.run({ ...request, outputPath: join(dir, 'f1.gz') });
      const second = pool.run({ ...request, outputPath: join(dir, 'f2.gz') });
      expect(pool.inFlight).to.equal(2);
      expect(pool.hasCapacity()).to.equal(false);
      const err = await caught(pool.run({ ...request, outputPath: join(dir, 'f3.gz') }));
      expect(err.code).to.equal(ErrorCodes.INTERNAL);
      expect(err.message).to.contain('pool is full');
      await Promise.all([first, second]);
      expect(pool.inFlight).to.equal(0);
      expect(pool.hasCapacity()).to.equal(true);
    });

    it('queues twice the thread count by default', () => {
      const pool = makePool({ threads: 3 });
      expect(pool.maxQueue).to.equal(6);
    });

    it('refuses nonsensical sizes', () => {
      expect(() => new CompressPool({ threads: 0, logger: silentLogger() })).to.throw(TvmError, /threads must be an integer >= 1/);
      expect(() => new CompressPool({ threads: 1.5, logger: silentLogger() })).to.throw(TvmError, /threads/);
      expect(() => new CompressPool({ threads: 1, maxQueue: -1, logger: silentLogger() })).to.throw(TvmError, /maxQueue/);
    });
  });

  describe('lifecycle', () => {
    it('close() waits for running and queued requests, then refuses new ones; calling it twice is harmless', async () => {
      const pool = makePool({ threads: 1, maxQueue: 2 });
      const request = await requestFor(await source('g.log', 1_000_000), join(dir, 'g.gz'));
      const requests = [1, 2, 3].map((i) => pool.run({ ...request, outputPath: join(dir, `g${i}.gz`) }));
      const closing = pool.close();
      expect(pool.close()).to.equal(closing);
      expect(pool.isOpen).to.equal(false);
      expect(pool.hasCapacity()).to.equal(false);
      const results = await Promise.all(requests);
      expect(results.map((r) => r.kind)).to.deep.equal(['compressed', 'compressed', 'compressed']);
      await closing;
      const err = await caught(pool.run(request));
      expect(err.message).to.contain('pool is closed');
      await pool.close();
    });

    it('destroy() fails running and queued requests with WORKER_FAILED; calling it twice is harmless', async () => {
      const pool = makePool({ threads: 1, maxQueue: 1 });
      const request = await requestFor(await source('h.log', 3_000_000), join(dir, 'h.gz'));
      const running = pool.run(request);
      const queued = pool.run({ ...request, outputPath: join(dir, 'h2.gz') });
      const destroying = pool.destroy();
      expect(pool.destroy()).to.equal(destroying);
      expect(pool.close()).to.equal(destroying);
      const errs = await Promise.all([caught(running), caught(queued)]);
      expect(errs.map((e) => e.code)).to.deep.equal([ErrorCodes.WORKER_FAILED, ErrorCodes.WORKER_FAILED]);
      await destroying;
    });

    it('destroy() during close() cancels what close() was waiting for', async () => {
      const pool = makePool({ threads: 1 });
      const request = await requestFor(await source('i.log', 3_000_000), join(dir, 'i.gz'));
      const running = pool.run(request);
      const closing = pool.close();
      await pool.destroy();
      expect((await caught(running)).code).to.equal(ErrorCodes.WORKER_FAILED);
      await closing;
    });

    it('passes an abort through as the AbortError, not as a worker failure', async () => {
      const pool = makePool();
      const request = await requestFor(await source('j.log'), join(dir, 'j.gz'));
      const err: unknown = await pool.run(request, AbortSignal.abort()).then(
        () => expect.fail('expected an abort'),
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(Error);
      expect((err as Error).name).to.equal('AbortError');
      expect((await pool.run(request)).kind).to.equal('compressed');
    });
  });

  describe('helpers', () => {
    it('resolveWorkerFile picks the .ts worker from source and the .js worker from dist', () => {
      expect(resolveWorkerFile('file:///app/src/workers/pool.ts')).to.equal('/app/src/workers/compress.worker.ts');
      expect(resolveWorkerFile('file:///app/dist/workers/pool.js')).to.equal('/app/dist/workers/compress.worker.js');
      expect(resolveWorkerFile()).to.match(/src\/workers\/compress\.worker\.ts$/);
    });

    it('workerExecArgv adds the tsx hook only for a .ts worker under a parent without it', () => {
      expect(workerExecArgv('/a/compress.worker.js', [])).to.equal(undefined);
      expect(workerExecArgv('/a/compress.worker.ts', ['--import=tsx'])).to.equal(undefined);
      expect(workerExecArgv('/a/compress.worker.ts', ['--enable-source-maps'])).to.deep.equal(['--enable-source-maps', '--import', 'tsx']);
    });
  });
});
