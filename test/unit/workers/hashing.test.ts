import { expect } from 'chai';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashTap, StreamHasher } from '../../../src/workers/hashing.js';
import { digestsOf, logLikeText, prng } from './helpers.js';

function feed(hasher: StreamHasher, data: Buffer, cuts: number[]): void {
  let off = 0;
  for (const len of cuts) {
    hasher.update(data.subarray(off, off + len));
    off += len;
  }
  hasher.update(data.subarray(off));
}

/** Random chunk lengths (0..max) covering `length` bytes. */
function randomCuts(rand: () => number, length: number, max: number): number[] {
  const cuts: number[] = [];
  for (let total = 0; total < length; ) {
    const len = Math.floor(rand() * max);
    cuts.push(len);
    total += len;
  }
  return cuts;
}

describe('workers/hashing', () => {
  it('cuts parts at exact byte offsets whatever the chunk boundaries', () => {
    const data = logLikeText(10_000 + 37);
    const partSize = 1000;
    const expected = digestsOf(data, partSize);
    const rand = prng(7);
    for (let trial = 0; trial < 20; trial += 1) {
      const hasher = new StreamHasher({ partSize });
      feed(hasher, data, randomCuts(rand, data.length, 2500));
      const d = hasher.digest();
      expect(d.partMd5s).to.deep.equal(expected.partMd5s);
      expect(d.md5?.toString('base64')).to.equal(expected.md5B64);
      expect(d.sha256.toString('hex')).to.equal(expected.sha256Hex);
      expect(d.bytes).to.equal(data.length);
    }
  });

  it('hashes the first prefixBytes bytes at that exact offset whatever the chunk boundaries', () => {
    const data = logLikeText(10_000);
    const rand = prng(11);
    for (const prefix of [1, 999, 1000, 4321, 10_000]) {
      const expected = digestsOf(data.subarray(0, prefix), 1000).sha256Hex;
      for (let trial = 0; trial < 10; trial += 1) {
        const hasher = new StreamHasher({ partSize: 1000, prefixBytes: prefix });
        feed(hasher, data, randomCuts(rand, data.length, 3000));
        const d = hasher.digest();
        expect(d.prefixSha256?.toString('hex'), `prefix ${prefix}`).to.equal(expected);
        expect(d.sha256.toString('hex')).to.equal(digestsOf(data, 1000).sha256Hex);
      }
    }
  });

  it('has no prefix digest when the stream is shorter than the prefix or none was asked for', () => {
    const short = new StreamHasher({ prefixBytes: 11 });
    short.update(Buffer.from('ten bytes!'));
    expect(short.digest().prefixSha256).to.equal(null);
    const none = new StreamHasher();
    none.update(Buffer.from('ten bytes!'));
    expect(none.digest().prefixSha256).to.equal(null);
    expect(() => new StreamHasher({ prefixBytes: 0 })).to.throw(RangeError);
  });

  it('gives exactly n parts when the size is a multiple of the part size', () => {
    const data = logLikeText(3000);
    const hasher = new StreamHasher({ partSize: 1000 });
    feed(hasher, data, [1000, 1000]);
    expect(hasher.digest().partMd5s).to.have.length(3).and.deep.equal(digestsOf(data, 1000).partMd5s);
  });

  it('reports one part equal to the whole MD5 for an object smaller than a part', () => {
    const data = Buffer.from('small');
    const hasher = new StreamHasher({ partSize: 1000 });
    hasher.update(data);
    const d = hasher.digest();
    expect(d.partMd5s).to.deep.equal([d.md5?.toString('base64')]);
  });

  it('reports one part (the MD5 of nothing) for an empty object', () => {
    const d = new StreamHasher({ partSize: 5 }).digest();
    expect(d.bytes).to.equal(0);
    expect(d.partMd5s).to.deep.equal(['1B2M2Y8AsgTpgAmY7PhCfg==']);
    expect(d.md5?.toString('base64')).to.equal('1B2M2Y8AsgTpgAmY7PhCfg==');
  });

  it('computes SHA-256 only when built without a part size', () => {
    const hasher = new StreamHasher();
    hasher.update(Buffer.from('abc'));
    const d = hasher.digest();
    expect(d.md5).to.equal(null);
    expect(d.partMd5s).to.deep.equal([]);
    expect(d.sha256.toString('hex')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('returns the same digests when asked twice and refuses updates afterwards', () => {
    const hasher = new StreamHasher({ partSize: 2 });
    hasher.update(Buffer.from('abc'));
    expect(hasher.digest()).to.equal(hasher.digest());
    expect(() => hasher.update(Buffer.from('d'))).to.throw(/after digest/);
  });

  it('rejects a part size that would never advance', () => {
    expect(() => new StreamHasher({ partSize: 0 })).to.throw(RangeError);
    expect(() => new StreamHasher({ partSize: 1.5 })).to.throw(RangeError);
  });

  it('passes bytes through unchanged as a stream stage', async () => {
    const data = logLikeText(50_000);
    const tap = new HashTap({ partSize: 4096 });
    const seen: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        seen.push(chunk);
        cb();
      },
    });
    await pipeline(Readable.from([data.subarray(0, 10_000), data.subarray(10_000)]), tap, sink);
    expect(Buffer.concat(seen).equals(data)).to.equal(true);
    expect(tap.hasher.digest().partMd5s).to.deep.equal(digestsOf(data, 4096).partMd5s);
  });
});
