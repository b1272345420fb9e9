import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { holdsPrefixOfSource } from '../../../../src/sinks/s3/source-prefix.js';
import { seededBytes, tempDir, writeFile } from '../fixtures.js';

describe('sinks/s3/holdsPrefixOfSource', () => {
  const t = tempDir();
  after(() => t.cleanup());
  const bytes = seededBytes(50_000, 5);
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  const meta = (n: number): Record<string, string> => ({ 'source-sha256': sha(bytes.subarray(0, n)), 'source-size': String(n) });

  it('proves an object holding the first bytes of the source, read up to exactly its size', async () => {
    const path = writeFile(t.dir, 'grown.log', bytes);
    expect(await holdsPrefixOfSource(meta(20_000), { path, size: bytes.length })).to.equal(true);
    expect(await holdsPrefixOfSource(meta(1), { path, size: bytes.length })).to.equal(true);
  });

  it('proves nothing once the read is aborted (shutdown): the key counts as taken', async () => {
    const path = writeFile(t.dir, 'aborted.log', bytes);
    const stop = new AbortController();
    stop.abort();
    expect(await holdsPrefixOfSource(meta(20_000), { path, size: bytes.length }, stop.signal)).to.equal(false);
    expect(await holdsPrefixOfSource(meta(20_000), { path, size: bytes.length }, new AbortController().signal)).to.equal(true);
  });

  it('proves nothing when the file was cut shorter than the object since it was compressed', async () => {
    const path = writeFile(t.dir, 'cut.log', bytes.subarray(0, 10_000));
    expect(await holdsPrefixOfSource(meta(20_000), { path, size: bytes.length })).to.equal(false);
  });
});
