import { expect } from 'chai';
import { KeptCompressions, type KeptCompression } from '../../../src/pipeline/kept-compressions.js';
import type { CompressResult } from '../../../src/workers/protocol.js';

function kept(path: string, outputSize: number, over: Partial<CompressResult> = {}): KeptCompression {
  const result: CompressResult = {
    kind: 'compressed', codec: 'gzip', storedReason: null, uploadPath: path, sourceSize: outputSize * 5, sourceMtimeMs: 1000,
    sourceSha256: 'ab'.repeat(32), outputSize, outputSha256: 'x', outputMd5: 'y', partMd5s: ['y'], elapsedMs: 1, ...over,
  };
  return { result, level: 8, partSize: 100, prefixSize: undefined };
}

function set(over: { maxFiles?: number; maxBytes?: number } = {}) {
  const removed: string[] = [];
  const k = new KeptCompressions({ minBytes: 10, maxFiles: over.maxFiles ?? 4, maxBytes: over.maxBytes ?? 1000, remove: async (p) => void removed.push(p) });
  return { k, removed };
}

const same = (e: KeptCompression) => ({ size: e.result.sourceSize, mtimeMs: e.result.sourceMtimeMs, codec: e.result.codec, partSize: e.partSize, prefixSize: e.prefixSize });

describe('pipeline/kept-compressions', () => {
  it('wants only large compressed outputs written to the spool', () => {
    const { k } = set();
    expect(k.wants(kept('/s/1.gz', 10).result)).to.equal(true);
    expect(k.wants(kept('/s/1.gz', 9).result), 'small: cheap to redo').to.equal(false);
    expect(k.wants(kept('/logs/a.mcap', 50, { codec: 'none' }).result), 'stored as is: nothing to redo').to.equal(false);
    expect(k.wants(kept('/s/1.gz', 50, { body: new Uint8Array(50) }).result), 'in memory').to.equal(false);
    expect(k.wants(kept('/s/1.gz', 1001).result), 'larger than the whole allowance').to.equal(false);
  });

  it('gives a kept compression back once, for the same source bytes, codec, part size and prefix', async () => {
    const { k, removed } = set();
    const e = kept('/s/1.gz', 100);
    await k.keep(1, e);
    expect(await k.take(1, same(e))).to.equal(e);
    expect(await k.take(1, same(e)), 'taken: the caller owns the file now').to.equal(null);
    expect(removed).to.deep.equal([]);
  });

  for (const [what, change] of [
    ['size', { size: 501 }],
    ['mtime', { mtimeMs: 1001 }],
    ['codec', { codec: 'zstd' }],
    ['part size', { partSize: 200 }],
    ['grown-file prefix', { prefixSize: 40 }],
  ] as const) {
    it(`does not reuse it when the ${what} differs, and removes its spool file`, async () => {
      const { k, removed } = set();
      const e = kept('/s/1.gz', 100);
      await k.keep(1, e);
      expect(await k.take(1, { ...same(e), ...change })).to.equal(null);
      expect(removed).to.deep.equal(['/s/1.gz']);
      expect(k.size).to.equal(0);
    });
  }

  it('drops the oldest beyond the file count, removing its spool file', async () => {
    const { k, removed } = set({ maxFiles: 2 });
    for (const id of [1, 2, 3]) await k.keep(id, kept(`/s/${id}.gz`, 100));
    expect(removed).to.deep.equal(['/s/1.gz']);
    expect(k.size).to.equal(2);
    expect(await k.take(1, same(kept('/s/1.gz', 100)))).to.equal(null);
  });

  it('drops the oldest beyond the byte allowance', async () => {
    const { k, removed } = set({ maxBytes: 250 });
    await k.keep(1, kept('/s/1.gz', 100));
    await k.keep(2, kept('/s/2.gz', 100));
    await k.keep(3, kept('/s/3.gz', 100));
    expect(removed).to.deep.equal(['/s/1.gz']);
    await k.keep(4, kept('/s/4.gz', 200));
    expect(removed).to.deep.equal(['/s/1.gz', '/s/2.gz', '/s/3.gz']);
    expect(k.size).to.equal(1);
  });

  it("replaces a file's earlier entry, removing the old spool file unless it is the same path", async () => {
    const { k, removed } = set();
    await k.keep(1, kept('/s/1.gz', 100));
    await k.keep(1, kept('/s/1.gz', 120));
    expect(removed, 'same spool path: the new compression is in it').to.deep.equal([]);
    await k.keep(1, kept('/s/1.zst', 100, { codec: 'zstd' }));
    expect(removed).to.deep.equal(['/s/1.gz']);
    expect(k.size).to.equal(1);
  });

  it('drop forgets a file and removes its spool file', async () => {
    const { k, removed } = set();
    await k.keep(1, kept('/s/1.gz', 100));
    await k.drop(1);
    await k.drop(2);
    expect(removed).to.deep.equal(['/s/1.gz']);
    expect(k.size).to.equal(0);
  });
});
