import { expect } from 'chai';
import { jobCompression } from '../../../src/pipeline/job-compression.js';
import { record } from '../../support/fakes.js';

const MIB = 1024 * 1024;
const compression = { codec: 'gzip' as const, level: 6, maxLevel: 9, cpuBudgetPercent: 50, skipExtensions: [] };

describe('pipeline/job-compression', () => {
  it('logs when a cap raises the level and when lifting it brings the configured one back', () => {
    const throttle = { bytesPerSecond: 2e6 as number | null };
    const lines: Array<[Record<string, unknown>, string]> = [];
    const j = jobCompression({ upload: { compression, workers: 1 }, throttle, progress: () => null, logger: { info: (o: object, m: string) => void lines.push([o as Record<string, unknown>, m]) } as never });
    j.levels.observe({ level: 6, sourceBytes: 8 * MIB, outputBytes: Math.round(8 * MIB * 0.1745), elapsedMs: (8 * MIB / 82.7e6) * 1000 });
    expect(j.levels.choose(record(1))).to.equal(8);
    throttle.bytesPerSecond = null;
    expect(j.levels.choose(record(1))).to.equal(6);
    expect(lines.map(([o, m]) => [o.codecLevel, o.from, m])).to.deep.equal([
      [8, 6, 'upload is capped: compressing harder to send fewer bytes'],
      [6, 8, 'compression level back to the configured one'],
    ]);
    expect(lines[0]![0].estimatedCores).to.be.closeTo(0.28, 0.01);
    expect(lines[1]![0]).to.deep.include({ capBytesPerSecond: null, estimatedCores: null });
  });

  it('keeps the level of a multipart upload in progress, whatever the cap says', () => {
    const j = jobCompression({
      upload: { compression, workers: 1 }, throttle: { bytesPerSecond: null },
      progress: (id) => (id === 4 ? { proof: { codec: 'gzip', codecLevel: 9 } } : null), logger: { info: () => undefined } as never,
    });
    expect(j.levels.choose(record(4))).to.equal(9);
    expect(j.levels.choose(record(5))).to.equal(6);
    expect(j.kept.size).to.equal(0);
  });
});
