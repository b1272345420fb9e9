import { expect } from 'chai';
import * as zlib from 'node:zlib';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompress as zstdDecompress } from 'zstd-napi';
import { ErrorCodes } from '../../../src/errors.js';
import { loadCodec } from '../../../src/workers/codecs.js';
import { defaultZstdLoader, defaultZstdSource, zlibZstdBackend, type ZstdLoader, type ZstdSource } from '../../../src/workers/zstd.js';
import { CompressFailure } from '../../../src/workers/failure.js';
import { caught } from '../../support/caught.js';
import { logLikeText } from './helpers.js';

async function streamThrough(codec: Awaited<ReturnType<typeof loadCodec>>, data: Buffer): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
    codec.createStream(),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(out);
}

function moduleNotFound(): Error {
  return Object.assign(new Error("Cannot find package 'zstd-napi' imported from /x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
}

const failureOf = (p: Promise<unknown>): Promise<CompressFailure> => caught(p, CompressFailure);

/** A runtime without built-in zstd (Node < 22.15), with the given zstd-napi loader. */
const napiOnly = (load: ZstdLoader): ZstdSource => ({ builtin: null, load });

/** The frame header of a zstd frame: magic number and the frame header descriptor. */
function frameHeader(frame: Buffer): { magic: string; checksum: boolean; dictionary: number } {
  const fhd = frame[4]!;
  return { magic: frame.subarray(0, 4).toString('hex'), checksum: (fhd & 0x04) !== 0, dictionary: fhd & 0x03 };
}

/** node:zlib's zstd of the test runtime, or null before Node 22.15. */
const builtin = zlibZstdBackend();

describe('workers/codecs', () => {
  const data = logLikeText(200_000);

  it('gzip: the stream and the one-shot output both decompress to the input', async () => {
    const codec = await loadCodec('gzip', 6);
    expect(zlib.gunzipSync(await streamThrough(codec, data)).equals(data)).to.equal(true);
    const once = codec.compress(data);
    expect(once.length).to.be.below(data.length / 2);
    expect(zlib.gunzipSync(once).equals(data)).to.equal(true);
  });

  it('zstd: the stream and the one-shot output both decompress to the input (default source)', async () => {
    const codec = await loadCodec('zstd', 3);
    expect(zstdDecompress(await streamThrough(codec, data)).equals(data)).to.equal(true);
    expect(zstdDecompress(codec.compress(data)).equals(data)).to.equal(true);
  });

  it('uses node:zlib for zstd exactly when the runtime has it', () => {
    const has = typeof (zlib as { createZstdCompress?: unknown }).createZstdCompress === 'function';
    expect(defaultZstdSource.builtin?.name ?? null).to.equal(has ? 'node:zlib' : null);
  });

  it('asks node:zlib for the level and the frame checksum, in stream and one-shot', () => {
    const seen: unknown[] = [];
    const fakeZlib = {
      constants: { ZSTD_c_compressionLevel: 100, ZSTD_c_checksumFlag: 201 },
      createZstdCompress: (o: unknown) => (seen.push(['stream', o]), 'a stream'),
      zstdCompressSync: (b: Uint8Array, o: unknown) => (seen.push(['once', b.length, o]), Buffer.from('frame')),
    };
    const backend = zlibZstdBackend(fakeZlib)!;
    expect(backend.name).to.equal('node:zlib');
    expect(backend.createStream(7)).to.equal('a stream');
    expect(backend.compress(Buffer.alloc(3), 9).toString()).to.equal('frame');
    expect(seen).to.deep.equal([
      ['stream', { params: { 100: 7, 201: 1 }, chunkSize: 64 * 1024 }],
      ['once', 3, { params: { 100: 9, 201: 1 } }],
    ]);
  });

  it('finds no built-in zstd in a zlib without it', () => {
    expect(zlibZstdBackend({ createGzip: () => null })).to.equal(null);
    expect(zlibZstdBackend({ createZstdCompress: () => null, zstdCompressSync: () => null })).to.equal(null);
  });

  it('zstd-napi fallback: stream and one-shot round-trip, with the frame checksum on', async () => {
    const codec = await loadCodec('zstd', 3, napiOnly(defaultZstdLoader));
    const streamed = await streamThrough(codec, data);
    expect(zstdDecompress(streamed).equals(data)).to.equal(true);
    expect(zstdDecompress(codec.compress(data)).equals(data)).to.equal(true);
    expect(frameHeader(streamed)).to.deep.equal({ magic: '28b52ffd', checksum: true, dictionary: 0 });
  });

  describe('node:zlib zstd (runtimes that have it: Node ≥ 22.15)', function () {
    before(function () {
      if (builtin === null) {
        console.log(`      (skipped: Node ${process.versions.node} has no built-in zstd; .ci/run runs this under Node 24)`);
        this.skip();
      }
    });

    it('round-trips stream and one-shot, and each backend reads the other\'s frames', async () => {
      const viaZlib = await loadCodec('zstd', 3, { builtin, load: () => Promise.reject(new Error('must not be imported')) });
      const viaNapi = await loadCodec('zstd', 3, napiOnly(defaultZstdLoader));
      const z = zlib as unknown as { zstdDecompressSync(b: Buffer): Buffer };
      for (const frame of [await streamThrough(viaZlib, data), viaZlib.compress(data)]) {
        expect(zstdDecompress(frame).equals(data), 'zstd-napi reads node:zlib frames').to.equal(true);
        expect(z.zstdDecompressSync(frame).equals(data)).to.equal(true);
      }
      expect(z.zstdDecompressSync(await streamThrough(viaNapi, data)).equals(data), 'node:zlib reads zstd-napi frames').to.equal(true);
    });

    it('frames like zstd-napi: same header (checksum on, no dictionary), same one-shot bytes', async () => {
      const viaZlib = await loadCodec('zstd', 3, { builtin, load: defaultZstdLoader });
      const viaNapi = await loadCodec('zstd', 3, napiOnly(defaultZstdLoader));
      expect(frameHeader(await streamThrough(viaZlib, data))).to.deep.equal(frameHeader(await streamThrough(viaNapi, data)));
      expect(frameHeader(viaZlib.compress(data))).to.deep.equal({ magic: '28b52ffd', checksum: true, dictionary: 0 });
      expect(viaZlib.compress(data).equals(viaNapi.compress(data)), 'one-shot output is byte-identical').to.equal(true);
    });
  });

  it('fails zstd requests with CODEC_UNAVAILABLE when the runtime has no zstd and zstd-napi is not installed', async () => {
    const failure = await failureOf(loadCodec('zstd', 3, napiOnly(() => Promise.reject(moduleNotFound()))));
    expect(failure.code).to.equal(ErrorCodes.CODEC_UNAVAILABLE);
    expect(failure.message).to.equal(
      `codec zstd needs Node ≥ 22.15 (built-in zstd) or the optional dependency zstd-napi, which is not installed (running Node ${process.versions.node})`,
    );
  });

  it('recognises the CommonJS flavour of module-not-found too', async () => {
    const loader: ZstdLoader = () => Promise.reject(Object.assign(new Error('nope'), { code: 'MODULE_NOT_FOUND' }));
    expect((await failureOf(loadCodec('zstd', 3, napiOnly(loader)))).message).to.match(/which is not installed \(running Node /);
  });

  it('says the dependency failed to load when it is present but broken', async () => {
    const loader: ZstdLoader = () => Promise.reject(new Error('binding.node: invalid ELF header'));
    const failure = await failureOf(loadCodec('zstd', 3, napiOnly(loader)));
    expect(failure.code).to.equal(ErrorCodes.CODEC_UNAVAILABLE);
    expect(failure.message).to.contain('failed to load: binding.node: invalid ELF header');
  });

  it('rejects a module that does not look like zstd-napi', async () => {
    const failure = await failureOf(loadCodec('zstd', 3, napiOnly(() => Promise.resolve({ something: 'else' }))));
    expect(failure.code).to.equal(ErrorCodes.CODEC_UNAVAILABLE);
    expect(failure.message).to.contain('does not export');
  });

  it('accepts the module through a CommonJS default export', async () => {
    const real = await defaultZstdLoader();
    const codec = await loadCodec('zstd', 1, napiOnly(() => Promise.resolve({ default: real })));
    expect(zstdDecompress(codec.compress(data)).equals(data)).to.equal(true);
  });

  it('imports once per loader and retries after a failed import', async () => {
    let calls = 0;
    let fail = true;
    const loader: ZstdLoader = async () => {
      calls += 1;
      if (fail) throw moduleNotFound();
      return defaultZstdLoader();
    };
    await failureOf(loadCodec('zstd', 3, napiOnly(loader)));
    fail = false;
    await loadCodec('zstd', 3, napiOnly(loader));
    await loadCodec('zstd', 5, napiOnly(loader));
    expect(calls).to.equal(2);
  });
});
