import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { sendFileBody } from '../../../../src/sinks/s3/body.js';
import { Throttle } from '../../../../src/sinks/throttle.js';
import { seededBytes, tempDir, writeFile } from '../fixtures.js';

type Opts = { abortSignal: AbortSignal };

/** A client that reads the body fully and answers with it, or fails when its signal aborts. */
const reading = {
  send: (cmd: { body: Readable }, opts: Opts) =>
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      opts.abortSignal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
      if (opts.abortSignal.aborted) reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      cmd.body.on('data', (c: Buffer) => chunks.push(c));
      cmd.body.on('end', () => resolve(Buffer.concat(chunks)));
    }),
};

/** A client that never answers until its signal aborts (checked first, like the SDK does). */
const hanging = {
  send: (_cmd: unknown, opts: Opts) =>
    new Promise((_resolve, reject) => {
      if (opts.abortSignal.aborted) reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      opts.abortSignal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
    }),
};

describe('sinks/s3/body sendFileBody', () => {
  const t = tempDir();
  after(() => t.cleanup());

  it('streams exactly the requested byte range, through the throttle', async () => {
    const bytes = seededBytes(10_000, 3);
    const path = writeFile(t.dir, 'r.bin', bytes);
    const out = await sendFileBody<{ body: Readable }, Buffer>({
      client: reading as never, path, start: 1000, end: 2999, throttle: new Throttle({ bytesPerSecond: 50_000_000 }),
      build: (body) => ({ body }),
    });
    expect(out.equals(bytes.subarray(1000, 3000))).to.equal(true);
  });

  it('fails at once when the caller signal is already aborted', async () => {
    const path = writeFile(t.dir, 'a.bin', seededBytes(100, 1));
    const ac = new AbortController();
    ac.abort(new Error('shutdown'));
    const err = await sendFileBody({ client: hanging as never, path, signal: ac.signal, build: (body) => ({ body }) }).catch((e: unknown) => e);
    expect((err as Error).name).to.equal('AbortError');
  });

  it('aborts the request when the caller signal fires mid-request, and stops listening afterwards', async () => {
    const path = writeFile(t.dir, 'b.bin', seededBytes(100, 2));
    const ac = new AbortController();
    let listeners = 0;
    const signal = ac.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...a: Parameters<typeof add>) => (listeners++, add(...a))) as typeof add;
    signal.removeEventListener = ((...a: Parameters<typeof remove>) => (listeners--, remove(...a))) as typeof remove;
    setTimeout(() => ac.abort(), 10);
    const err = await sendFileBody({ client: hanging as never, path, signal, build: (body) => ({ body }) }).catch((e: unknown) => e);
    expect((err as Error).name).to.equal('AbortError');
    expect(listeners).to.equal(0);
  });

  it('reports the file error, not the abort, when the body cannot be read', async () => {
    const dir = join(t.dir, 'dir');
    mkdirSync(dir);
    const err = await sendFileBody({ client: reading as never, path: dir, build: (body) => ({ body }) }).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).to.equal('EISDIR');
  });
});
