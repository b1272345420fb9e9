import { expect } from 'chai';
import { CompressionLevel, MIN_MEASURED_BYTES, MIN_SAMPLE_BYTES, resumedLevel, type CompressionLevelOptions, type LevelChange } from '../../../src/pipeline/compression-level.js';

const MB = 1e6;
const MIB = 1024 * 1024;

/** A sample that matches the built-in table at `level` scaled by `speed` (1 = as fast as measured). */
function sampleAt(level: number, mbps: number, ratio: number, bytes = 8 * MIB) {
  return { level, sourceBytes: bytes, outputBytes: Math.round(bytes * ratio), elapsedMs: (bytes / MB / mbps) * 1000 };
}

function policy(over: Partial<CompressionLevelOptions> & { cap?: number | null } = {}) {
  let cap: number | null = over.cap === undefined ? 2 * MB : over.cap;
  const changes: LevelChange[] = [];
  const p = new CompressionLevel({ codec: 'gzip', level: 6, maxLevel: 9, cpuBudgetCores: 0.5, rate: () => cap, onChange: (c) => changes.push(c), ...over });
  return { p, changes, setCap: (c: number | null) => (cap = c) };
}

describe('pipeline/compression-level', () => {
  it('keeps the configured level while the upload is not capped, however much is measured', () => {
    const { p, changes } = policy({ cap: null });
    for (let i = 0; i < 4; i++) p.observe(sampleAt(6, 82.7, 0.1745));
    expect(p.choose()).to.equal(6);
    expect(changes).to.deep.equal([]);
  });

  it('keeps the configured level under a cap until enough has been compressed to measure this machine', () => {
    const { p } = policy();
    p.observe(sampleAt(6, 82.7, 0.1745, MIN_MEASURED_BYTES - 1));
    expect(p.choose()).to.equal(6);
    p.observe(sampleAt(6, 82.7, 0.1745, 1));
    expect(p.choose(), 'a 1-byte sample is not a measurement').to.equal(6);
    p.observe(sampleAt(6, 82.7, 0.1745, MIN_SAMPLE_BYTES));
    expect(p.choose()).to.be.above(6);
  });

  it('compresses harder on a capped link when the CPU budget covers it, and says why', () => {
    const { p, changes } = policy();
    p.observe(sampleAt(6, 82.7, 0.1745));
    // 2 MB/s ÷ 0.168 ÷ 42.2 MB/s per core = 0.28 core at gzip-8 (gzip-9 sends no fewer bytes)
    expect(p.choose()).to.equal(8);
    expect(changes).to.have.length(1);
    expect(changes[0]).to.include({ level: 8, from: 6, capBytesPerSecond: 2 * MB });
    expect(changes[0]!.cores).to.be.closeTo(2 / 0.168 / 42.2, 0.01);
    expect(p.choose()).to.equal(8);
    expect(changes, 'told once per change, not per file').to.have.length(1);
  });

  it('stays at the configured level when no higher level fits the CPU budget', () => {
    const { p } = policy({ cpuBudgetCores: 0.15 });
    p.observe(sampleAt(6, 82.7, 0.1745));
    // gzip-7 would need 2 ÷ 0.1695 ÷ 56.8 = 0.21 core
    expect(p.choose()).to.equal(6);
  });

  it('takes the highest level that fits a small budget, not the best one', () => {
    const { p } = policy({ cpuBudgetCores: 0.25 });
    p.observe(sampleAt(6, 82.7, 0.1745));
    // gzip-7: 0.21 core fits; gzip-8: 0.28 does not
    expect(p.choose()).to.equal(7);
  });

  it('judges by what this machine measures: four times slower than the table, it does not raise at the same cap', () => {
    const { p } = policy();
    p.observe(sampleAt(6, 82.7 / 4, 0.1745));
    expect(p.choose()).to.equal(6);
  });

  it('comes back down when the machine gets busier and its compressions slow down', () => {
    const { p } = policy();
    p.observe(sampleAt(6, 82.7, 0.1745));
    expect(p.choose()).to.equal(8);
    for (let i = 0; i < 6; i++) p.observe(sampleAt(8, 42.2 / 4, 0.168));
    expect(p.choose()).to.equal(6);
  });

  it('raises further when the cap drops, and returns to the configured level when the cap is lifted', () => {
    const { p, changes, setCap } = policy({ cpuBudgetCores: 0.25 });
    p.observe(sampleAt(6, 82.7, 0.1745));
    expect(p.choose()).to.equal(7);
    setCap(0.5 * MB);
    expect(p.choose()).to.equal(8);
    setCap(null);
    expect(p.choose()).to.equal(6);
    expect(changes.map((c) => [c.from, c.level, c.capBytesPerSecond])).to.deep.equal([[6, 7, 2 * MB], [7, 8, 0.5 * MB], [8, 6, null]]);
  });

  it('never goes above max_level', () => {
    const { p } = policy({ maxLevel: 7, cap: 0.1 * MB });
    p.observe(sampleAt(6, 82.7, 0.1745));
    expect(p.choose()).to.equal(7);
  });

  it('picks the zstd level that sends the fewest bytes within the budget, where a higher number is not always smaller', () => {
    const { p } = policy({ codec: 'zstd', level: 3, maxLevel: 9, cpuBudgetCores: 0.5 });
    p.observe(sampleAt(3, 285.5, 0.1926));
    // zstd-9 needs 2 ÷ 0.1575 ÷ 55.1 = 0.23 core and is the smallest up to 9
    expect(p.choose()).to.equal(9);
  });

  it('uses the ratio this machine measures for the CPU estimate: logs that compress less need fewer cores per wire byte', () => {
    const a = policy({ cpuBudgetCores: 0.25 });
    a.p.observe(sampleAt(6, 82.7, 0.1745));
    const b = policy({ cpuBudgetCores: 0.25 });
    b.p.observe(sampleAt(6, 82.7, 0.1745 * 2));
    expect(b.p.coresAt(8, 2 * MB)).to.be.closeTo(a.p.coresAt(8, 2 * MB) / 2, 0.01);
    expect(b.p.choose()).to.equal(8);
  });

  it('ignores samples it cannot learn from: stored as is, no time, or a level the codec does not have', () => {
    const { p } = policy();
    p.observe({ level: 6, sourceBytes: 8 * MIB, outputBytes: 0, elapsedMs: 10 });
    p.observe({ level: 6, sourceBytes: 8 * MIB, outputBytes: MIB, elapsedMs: 0 });
    p.observe({ ...sampleAt(6, 82.7, 0.1745), level: 12 });
    expect(p.choose()).to.equal(6);
  });

  it('always gives 0 for codec none', () => {
    const { p } = policy({ codec: 'none', level: 0, maxLevel: 0 });
    p.observe(sampleAt(6, 82.7, 0.1745));
    expect(p.choose()).to.equal(0);
  });

  it('refuses levels outside the codec or in the wrong order, and a budget of nothing', () => {
    expect(() => policy({ level: 7, maxLevel: 6 })).to.throw(RangeError, /1 <= level <= maxLevel <= 9/);
    expect(() => policy({ maxLevel: 10 })).to.throw(RangeError);
    expect(() => policy({ level: 0 })).to.throw(RangeError);
    expect(() => policy({ cpuBudgetCores: 0 })).to.throw(RangeError, /cpuBudgetCores/);
  });

  describe('resumedLevel', () => {
    it('keeps the level a multipart upload in progress was started at, for the same codec only', () => {
      expect(resumedLevel({ proof: { codec: 'gzip', codecLevel: 9 } }, 'gzip')).to.equal(9);
      expect(resumedLevel({ proof: { codec: 'zstd', codecLevel: 9 } }, 'gzip')).to.equal(null);
      expect(resumedLevel(null, 'gzip')).to.equal(null);
      expect(resumedLevel({ proof: { codec: 'gzip', codecLevel: 6 } }, 'none')).to.equal(null);
    });

    it('ignores a level the codec does not have (rows from before levels were recorded hold -1)', () => {
      expect(resumedLevel({ proof: { codec: 'gzip', codecLevel: -1 } }, 'gzip')).to.equal(null);
      expect(resumedLevel({ proof: { codec: 'gzip', codecLevel: 12 } }, 'gzip')).to.equal(null);
      expect(resumedLevel({ proof: { codec: 'zstd', codecLevel: 12 } }, 'zstd')).to.equal(12);
    });
  });
});
