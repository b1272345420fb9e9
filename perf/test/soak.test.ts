/**
 * The soak suite's pure parts: the memory-leak and steadiness verdicts, the bound on files
 * waiting on disk, and the composed files (distinct, reproducible, exact sizes, compressing
 * like the log text they are cut from).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { LogBlockPool } from '../data/log-blocks.js';
import { composeFile, soakFile, writeSoakFile, type SoakPlan } from '../data/soak-files.js';
import { steadyWindow, coefficientOfVariation, heapAfterGc, intervalMBps, leastSquaresSlope, objectsFailing, rssSlopeMbPerHour, worstOf, type Sample } from '../harness/soak-stats.js';
import { inSample, keeperKey } from '../harness/soak-verify.js';
import { buildObjectKey } from '../../src/sinks/s3/object-key.js';
import { SUITES } from '../suites/index.js';
import { WorkingSet } from '../harness/working-set.js';

const sample = (tS: number, rssMb: number, sourceBytes = 0): Sample => ({ tS, rssMb, cpuS: 0, sourceBytes, load1: 1 });

describe('perf soak: verdicts', () => {
  it('fits the slope of a line exactly and of noisy points by least squares', () => {
    expect(leastSquaresSlope([[0, 1], [1, 3], [2, 5]])).to.equal(2);
    expect(leastSquaresSlope([[0, 0], [1, 1], [2, 0], [3, 1]])).to.be.closeTo(0.2, 1e-12);
    expect(leastSquaresSlope([[1, 5]])).to.equal(null);
    expect(leastSquaresSlope([[1, 5], [1, 6]])).to.equal(null);
  });

  it('reports RSS growing 1 MiB a minute as 60 MiB per hour and flat RSS as zero', () => {
    expect(rssSlopeMbPerHour([sample(0, 100), sample(60, 101), sample(120, 102)])).to.be.closeTo(60, 1e-9);
    expect(rssSlopeMbPerHour([sample(0, 100), sample(60, 104), sample(120, 100), sample(180, 104)])).to.be.closeTo(48, 1e-9);
    expect(rssSlopeMbPerHour([sample(0, 100), sample(60, 100)])).to.equal(0);
    expect(rssSlopeMbPerHour([])).to.equal(null);
  });

  it('fits only the steady part: after the warm-up share and before the drain that follows the last file', () => {
    const s = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110].map((t) => sample(t, t < 20 ? 50 + t : t > 100 ? 60 : 100));
    expect(steadyWindow(s, 0.2, 100).map((x) => x.tS)).to.deep.equal([20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(rssSlopeMbPerHour(steadyWindow(s, 0.2, 100))).to.equal(0);
    expect(steadyWindow([], 0.2, 100)).to.deep.equal([]);
  });

  it('measures steadiness as the coefficient of variation of per-interval MB/s', () => {
    const steady = intervalMBps([sample(0, 0, 0), sample(10, 0, 100e6), sample(20, 0, 200e6), sample(30, 0, 300e6)]);
    expect(steady).to.deep.equal([10, 10, 10]);
    expect(coefficientOfVariation(steady)).to.equal(0);
    const jumpy = intervalMBps([sample(0, 0, 0), sample(10, 0, 50e6), sample(20, 0, 200e6)]);
    expect(jumpy).to.deep.equal([5, 15]);
    expect(coefficientOfVariation(jumpy)).to.equal(0.5);
    expect(coefficientOfVariation([3])).to.equal(null);
    expect(coefficientOfVariation([0, 0])).to.equal(null);
  });

  it('fits the heap after GC from the probe\'s signal snapshots in the window, in MiB per hour', () => {
    const t0 = 1_000_000;
    const snap = (s: number, mb: number | undefined, label = 'signal') => ({ at: t0 + s * 1000, label, ...(mb === undefined ? {} : { heapUsedAfterGcMb: mb }) });
    const snaps = [snap(0, 30), snap(60, 20), snap(120, 21), snap(180, 22), snap(240, 50, 'exit'), snap(300, undefined)];
    const h = heapAfterGc(snaps, t0, 60, 200);
    expect(h.points).to.deep.equal([[60, 20], [120, 21], [180, 22]]);
    expect(h.slopeMbPerHour).to.be.closeTo(60, 1e-9);
    expect(heapAfterGc([snap(60, 20)], t0, 0, 100).slopeMbPerHour, 'one point').to.equal(null);
    expect(heapAfterGc([snap(60, undefined), snap(120, undefined)], t0, 0, 200).points, 'without --expose-gc').to.deep.equal([]);
  });

  it('merges a run of event-loop snapshots into the worst interval, counts added and the mean weighted', () => {
    const e = (count: number, meanMs: number, p99Ms: number, maxMs: number, heapUsed: number) => ({ seq: 0, label: 'signal', at: 0, resolutionMs: 10, count, meanMs, p50Ms: meanMs, p99Ms, maxMs, heapPeakMb: { heapUsed } });
    const w = worstOf([e(100, 1, 5, 20, 30), e(300, 2, 9, 12, 25)])!;
    expect(w).to.deep.include({ count: 400, meanMs: 1.75, p50Ms: 2, p99Ms: 9, maxMs: 20 });
    expect(w.heapPeakMb).to.deep.equal({ heapUsed: 30 });
    expect(worstOf([])).to.equal(undefined);
  });
});

describe('perf soak: what is checked', () => {
  it('round-trips a seeded share of about 1 in N files, the same ones on every run', () => {
    const picked = Array.from({ length: 5000 }, (_, i) => i).filter((i) => inSample(100, i, 50));
    expect(picked.length).to.be.within(70, 130);
    expect(Array.from({ length: 5000 }, (_, i) => i).filter((i) => inSample(100, i, 50))).to.deep.equal(picked);
    expect(picked).to.not.deep.equal(Array.from({ length: 5000 }, (_, i) => i).filter((i) => inSample(101, i, 50)));
  });

  it("puts the keeper object in the folder of the file's object, so s3rver never removes that folder", () => {
    const f = { source: 'ros', relPath: 'session-003/node_1001_00417.log', mtimeMs: Date.UTC(2026, 11, 7, 12) };
    const object = buildObjectKey({ vehicleId: 'v1', ...f, codec: 'gzip' });
    const keeper = keeperKey({ vehicleId: 'v1' }, f);
    expect(keeper.slice(0, keeper.lastIndexOf('/'))).to.equal(object.slice(0, object.lastIndexOf('/')));
    expect(keeper).to.match(/^v1\/\d{4}-\d{2}-\d{2}\/ros\/session-003\/\.soak-keeper$/);
  });

  it('counts failed objects, duplicate uploads and objects left in the bucket as failures', () => {
    const verification = { headOk: 9, sampled: 1, sampleEvery: 50, multipart: 0, roundTripOk: 1, failedObjects: 1, unexpected: 2, failures: [] };
    expect(objectsFailing({ verification, leftoverObjects: 3 })).to.equal(6);
  });

  it('is registered but left out of the suites that run when none is named', () => {
    const soak = SUITES.find((s) => s.name === 'soak');
    expect(soak?.onDemand).to.equal(true);
    expect(SUITES.filter((s) => s.onDemand === true).map((s) => s.name)).to.deep.equal(['soak']);
  });
});

describe('perf soak: working set', () => {
  it('admits files until the bound, then holds the next one until enough is released', async () => {
    const w = new WorkingSet(100);
    await w.reserve(60);
    await w.reserve(40);
    let admitted = false;
    const next = w.reserve(30).then(() => (admitted = true));
    await Promise.resolve();
    expect(admitted).to.equal(false);
    w.release(20);
    await Promise.resolve();
    expect(admitted).to.equal(false);
    w.release(40);
    await next;
    expect(w.pendingBytes).to.equal(70);
    expect(w.peakBytes).to.equal(100);
  });

  it('serves waiters in order, so a small file cannot overtake a large one', async () => {
    const w = new WorkingSet(100);
    await w.reserve(90);
    const order: string[] = [];
    const big = w.reserve(80).then(() => order.push('big'));
    const small = w.reserve(5).then(() => order.push('small'));
    w.release(90);
    await Promise.all([big, small]);
    expect(order).to.deep.equal(['big', 'small']);
    expect(w.pendingBytes).to.equal(85);
  });

  it('admits a file larger than the bound once the set is empty', async () => {
    const w = new WorkingSet(100);
    await w.reserve(10);
    const huge = w.reserve(500);
    w.release(10);
    await huge;
    expect(w.pendingBytes).to.equal(500);
  });

  it('refuses a zero bound and a release of more than was reserved', () => {
    expect(() => new WorkingSet(0)).to.throw(/must be > 0/);
    expect(() => new WorkingSet(10).release(1)).to.throw(/only 0 are reserved/);
  });
});

describe('perf soak: composed files', () => {
  const plan: SoakPlan = { seed: 5, minBytes: 64 * 1024, maxBytes: 2 * 1024 * 1024, binaryShare: 0.2, perDir: 5 };
  const pool = new LogBlockPool({ seed: 5, blockBytes: 48 * 1024, blocks: 12, startMs: Date.UTC(2026, 0, 1) });
  const bytesOf = (i: number): Buffer => Buffer.concat([...composeFile(pool, plan, soakFile(plan, i))]);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tvm-perf-soak-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('describes the same file for the same seed and index, with sizes spread between the bounds', () => {
    const files = Array.from({ length: 200 }, (_, i) => soakFile(plan, i));
    expect(soakFile(plan, 17)).to.deep.equal(files[17]);
    for (const f of files) expect(f.bytes).to.be.within(plan.minBytes, plan.maxBytes);
    expect(files.filter((f) => f.bytes < 256 * 1024).length).to.be.greaterThan(20);
    expect(files.filter((f) => f.bytes > 1024 * 1024).length).to.be.greaterThan(20);
    const binary = files.filter((f) => f.kind === 'binary').length;
    expect(binary).to.be.within(20, 60);
    expect(new Set(files.map((f) => f.source)).size).to.equal(4);
    expect(new Set(files.map((f) => f.rel)).size).to.equal(200);
    expect(files[0]!.rel).to.match(/^ros\/session-000\//);
    expect(files[199]!.rel).to.match(/session-009\//);
  });

  it('composes exactly the planned size, the same bytes for the same file, different bytes for every file', () => {
    const hashes = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const b = bytesOf(i);
      expect(b.length).to.equal(soakFile(plan, i).bytes);
      hashes.add(createHash('sha256').update(b).digest('hex'));
    }
    expect(hashes.size).to.equal(40);
    expect(bytesOf(7).equals(bytesOf(7))).to.equal(true);
    const other = Buffer.concat([...composeFile(pool, { ...plan, seed: 6 }, soakFile(plan, 7))]);
    expect(other.equals(bytesOf(7))).to.equal(false);
  });

  it('starts each file with a header naming it and orders the pool blocks differently per file', () => {
    const [i, j] = Array.from({ length: 40 }, (_, k) => soakFile(plan, k)).filter((f) => f.kind === 'ros2').map((f) => f.index);
    const a = bytesOf(i!);
    const b = bytesOf(j!);
    expect(a.toString('latin1', 0, 80)).to.match(new RegExp(`^# tvm-upload soak file ${i} \\(seed 5, ros2, \\d+ bytes\\)\n`));
    const body = (x: Buffer): Buffer => x.subarray(x.indexOf(10) + 1, x.indexOf(10) + 1 + 4096);
    expect(body(a).equals(body(b))).to.equal(false);
  });

  it('composes text that compresses like logs and binary files that do not compress', () => {
    const text = Array.from({ length: 60 }, (_, i) => soakFile(plan, i)).find((f) => f.kind !== 'binary' && f.bytes > 512 * 1024)!;
    const bin = Array.from({ length: 60 }, (_, i) => soakFile(plan, i)).find((f) => f.kind === 'binary' && f.bytes > 256 * 1024)!;
    const t = bytesOf(text.index);
    expect(t.length / gzipSync(t, { level: 6 }).length).to.be.within(4, 9);
    const r = bytesOf(bin.index);
    expect(gzipSync(r, { level: 6 }).length).to.be.greaterThan(r.length * 0.99);
  });

  it('writes the composed file to disk and returns its SHA-256 only when asked', async () => {
    const f = soakFile(plan, 3);
    const path = join(dir, 'f.log');
    const sha = await writeSoakFile(path, pool, plan, f, true);
    expect(statSync(path).size).to.equal(f.bytes);
    expect(sha).to.equal(createHash('sha256').update(readFileSync(path)).digest('hex'));
    expect(await writeSoakFile(join(dir, 'g.log'), pool, plan, f, false)).to.equal(null);
    expect(pool.heldBytes).to.be.greaterThan(0);
  });

  it('refuses a pool without blocks', () => {
    expect(() => new LogBlockPool({ seed: 1, blockBytes: 0, blocks: 1, startMs: 0 })).to.throw(/blockBytes > 0/);
  });
});
