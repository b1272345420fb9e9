/**
 * The generated data sets: the same seed gives the same bytes, sizes are what the suite asked
 * for, the mix of kinds is there, and log text compresses like real logs (so compression CPU and
 * bytes on the wire are representative).
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateFileSet, generateLargeFile, datasetTotals } from '../data/file-set.js';
import { LogText } from '../data/log-text.js';

describe('perf data', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tvm-perf-data-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('produces the same log text for the same seed and different text for another', () => {
    const a = new LogText({ seed: 7, style: 'ros2', startMs: 0 }).exactly(20_000);
    const b = new LogText({ seed: 7, style: 'ros2', startMs: 0 }).exactly(20_000);
    const c = new LogText({ seed: 8, style: 'ros2', startMs: 0 }).exactly(20_000);
    expect(a.equals(b)).to.equal(true);
    expect(a.equals(c)).to.equal(false);
    expect(a.length).to.equal(20_000);
  });

  for (const style of ['ros2', 'syslog', 'terminal'] as const) {
    it(`writes ${style} lines that gzip-6 compresses between 4× and 9×, like real logs`, () => {
      const text = new LogText({ seed: 1, style, startMs: Date.UTC(2026, 0, 1) }).next(512 * 1024);
      const ratio = text.length / gzipSync(text, { level: 6 }).length;
      expect(ratio).to.be.within(4, 9);
      expect(text.toString('latin1').split('\n')[0]).to.match(/\d{2}:\d{2}|\d{10}\./);
    });
  }

  it('writes a file set of exact sizes with random and gzip files mixed in, reproducibly', async () => {
    const a = await generateFileSet(join(dir, 'a'), { files: 60, fileBytes: 8192, randomShare: 0.2, gzipShare: 0.2, seed: 3, perDir: 5 });
    const b = await generateFileSet(join(dir, 'b'), { files: 60, fileBytes: 8192, randomShare: 0.2, gzipShare: 0.2, seed: 3, perDir: 5 });
    const kinds = datasetTotals(a.files);
    expect(kinds.random.files).to.be.greaterThan(0);
    expect(kinds.gzip.files).to.be.greaterThan(0);
    expect(kinds.text.files + kinds.random.files + kinds.gzip.files).to.equal(60);
    for (const f of a.files) {
      expect(statSync(join(a.root, f.rel)).size).to.equal(f.bytes);
      if (f.kind !== 'gzip') expect(f.bytes).to.equal(8192);
      else expect(readFileSync(join(a.root, f.rel)).subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))).to.equal(true);
    }
    expect(new Set(a.files.map((f) => f.source)).size).to.equal(4);
    expect(a.bytes).to.equal(b.bytes);
    expect(readFileSync(join(a.root, a.files[17]!.rel)).equals(readFileSync(join(b.root, b.files[17]!.rel)))).to.equal(true);
  });

  it('writes a large file of the exact size whose first block is compressible text', async () => {
    const d = await generateLargeFile(dir, { bytes: 5 * 1024 * 1024 + 123, randomShare: 0.5, seed: 9 });
    const path = join(dir, d.files[0]!.rel);
    expect(statSync(path).size).to.equal(5 * 1024 * 1024 + 123);
    const head = readFileSync(path).subarray(0, 1024 * 1024);
    expect(gzipSync(head).length).to.be.lessThan(head.length / 3);
  });
});
