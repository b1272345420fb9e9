import { expect } from 'chai';
import { gunzipSync } from 'node:zlib';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompress as zstdDecompress } from 'zstd-napi';
import { ErrorCodes } from '../../../src/errors.js';
import { defaultZstdLoader, loadCodec, type ZstdLoader } from '../../../src/workers/codecs.js';
import { JobFailure } from '../../../src/workers/failure.js';
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

async function failureOf(p: Promise<unknown>): Promise<JobFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(JobFailure);
    return err as JobFailure;
  }
  expect.fail('expected a rejection');
}

describe('workers/codecs', () => {
  const data = logLikeText(200_000);

  it('gzip: the stream and the one-shot output both decompress to the input', async () => {
    const codec = await loadCodec('gzip', 6);
    expect(gunzipSync(await streamThrough(codec, data)).equals(data)).to.equal(true);
    const once = codec.compress(data);
    expect(once.length).to.be.below(data.length / 2);
    expect(gunzipSync(once).equals(data)).to.equal(true);
  });

  it('zstd: the stream and the one-shot output both decompress to the input', async () => {
    const codec = await loadCodec('zstd', 3);
    expect(zstdDecompress(await streamThrough(codec, data)).equals(data)).to.equal(true);
    expect(zstdDecompress(codec.compress(data)).equals(data)).to.equal(true);
  });

  it('fails zstd jobs with CODEC_UNAVAILABLE when zstd-napi is not installed', async () => {
    const loader: ZstdLoader = () => Promise.reject(moduleNotFound());
    const failure = await failureOf(loadCodec('zstd', 3, loader));
    expect(failure.code).to.equal(ErrorCodes.CODEC_UNAVAILABLE);
    expect(failure.message).to.equal('codec zstd needs the optional dependency zstd-napi, which is not installed');
  });

  it('recognises the CommonJS flavour of module-not-found too', async () => {
    const loader: ZstdLoader = () => Promise.reject(Object.assign(new Error('nope'), { code: 'MODULE_NOT_FOUND' }));
    expect((await failureOf(loadCodec('zstd', 3, loader))).message).to.match(/which is not installed$/);
  });

  it('says the dependency failed to load when it is present but broken', async () => {
    const loader: ZstdLoader = () => Promise.reject(new Error('binding.node: invalid ELF header'));
    const failure = await failureOf(loadCodec('zstd', 3, loader));
    expect(failure.code).to.equal(ErrorCodes.CODEC_UNAVAILABLE);
    expect(failure.message).to.contain('failed to load: binding.node: invalid ELF header');
  });

  it('rejects a module that does not look like zstd-napi', async () => {
    const failure = await failureOf(loadCodec('zstd', 3, () => Promise.resolve({ something: 'else' })));
    expect(failure.code).to.equal(ErrorCodes.CODEC_UNAVAILABLE);
    expect(failure.message).to.contain('does not export');
  });

  it('accepts the module through a CommonJS default export', async () => {
    const real = await defaultZstdLoader();
    const codec = await loadCodec('zstd', 1, () => Promise.resolve({ default: real }));
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
    await failureOf(loadCodec('zstd', 3, loader));
    fail = false;
    await loadCodec('zstd', 3, loader);
    await loadCodec('zstd', 5, loader);
    expect(calls).to.equal(2);
  });
});
