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

describe('workers/hashing', () => {
  it('cuts parts at exact byte offsets whatever the chunk boundaries', () => {
    const data = logLikeText(10_000 + 37);
    const partSize = 1000;
    const expected = digestsOf(data, partSize);
    const rand = prng(7);
    for (let trial = 0; trial < 20; trial += 1) {
      const cuts: number[] = [];
      for (let total = 0; total < data.length; ) {
        const len = Math.floor(rand() * 2500);
        cuts.push(len);
        total += len;
      }
      const hasher = new StreamHasher({ partSize });
      feed(hasher, data, cuts);
      const d = hasher.digest();
      expect(d.partMd5s).to.deep.equal(expected.partMd5s);
      expect(d.md5?.toString('base64')).to.equal(expected.md5B64);
      expect(d.sha256.toString('hex')).to.equal(expected.sha256Hex);
      expect(d.bytes).to.equal(data.length);
    }
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
