import { expect } from 'chai';
import { join } from 'node:path';
import { statfsDiskProbe, usedPercent, type StatfsLike } from '../../../../src/sinks/cloudwatch/disk-probe.js';
import { tempDir, removeDir } from '../../../support/temp-dir.js';

const enoent = (p: string): Error => Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });

describe('cloudwatch/disk-probe', () => {
  it('computes used / total like the reference (reserved blocks count as used)', () => {
    expect(usedPercent({ blocks: 1000, bfree: 250 })).to.equal(75);
    expect(usedPercent({ blocks: 1000, bfree: 1000 })).to.equal(0);
  });

  it('has no value for an impossible statfs answer', () => {
    expect(usedPercent({ blocks: 0, bfree: 0 })).to.equal(null);
    expect(usedPercent({ blocks: 10, bfree: 11 })).to.equal(null);
    expect(usedPercent({ blocks: 10, bfree: -1 })).to.equal(null);
  });

  it('measures the filesystem of the log directory, not /', () => {
    const asked: string[] = [];
    const probe = statfsDiskProbe('/data/logs', (p): StatfsLike => {
      asked.push(p);
      return p === '/data/logs' ? { blocks: 100, bfree: 10 } : { blocks: 100, bfree: 90 };
    });
    expect(probe()).to.equal(90);
    expect(asked).to.deep.equal(['/data/logs']);
  });

  it('measures through the nearest existing ancestor when the log directory does not exist yet', () => {
    const asked: string[] = [];
    const probe = statfsDiskProbe('/data/logs/ros', (p): StatfsLike => {
      asked.push(p);
      if (p !== '/data') throw enoent(p);
      return { blocks: 200, bfree: 50 };
    });
    expect(probe()).to.equal(75);
    expect(asked).to.deep.equal(['/data/logs/ros', '/data/logs', '/data']);
  });

  it('has no value when statfs fails for another reason or nothing on the path exists', () => {
    const denied = statfsDiskProbe('/data/logs', () => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    });
    expect(denied()).to.equal(null);
    const nothing = statfsDiskProbe('/a/b', (p) => {
      throw enoent(p);
    });
    expect(nothing()).to.equal(null);
  });

  it('reads a real filesystem with the default statfs', () => {
    const dir = tempDir('tvm-cw-disk-');
    try {
      const v = statfsDiskProbe(join(dir, 'not', 'yet'))();
      expect(v).to.be.a('number');
      expect(v!).to.be.within(0, 100);
    } finally {
      removeDir(dir);
    }
  });
});
