import { expect } from 'chai';
import type { DiskUsage } from '../../../src/disk/usage.js';
import { Health } from '../../../src/telemetry/health.js';
import { SpoolBudget } from '../../../src/workers/spool-budget.js';

const MB = 1024 * 1024;

function usage(available: () => number): (path: string) => Promise<DiskUsage> {
  return async (path) => ({ measuredPath: path, device: 1, totalBytes: 1e12, availableBytes: available(), usedBytes: 0, usedPercent: 0 });
}

describe('workers/spool-budget', () => {
  it('reserves room for the expected output plus the reserve, counting compressions already running', async () => {
    const b = new SpoolBudget({ dir: '/state/spool', reserveBytes: 100 * MB, usage: usage(() => 300 * MB) });
    const first = await b.reserve(150 * MB);
    expect(first).to.be.a('function');
    expect(b.reserved).to.equal(150 * MB);
    expect(await b.reserve(100 * MB), 'only 50 MiB left above the reserve').to.equal(null);
    first!();
    first!(); // idempotent
    expect(b.reserved).to.equal(0);
    expect(await b.reserve(100 * MB)).to.be.a('function');
  });

  it('says degraded (spool) while files have to go uncompressed, and recovers when room is back', async () => {
    let avail = 50 * MB;
    const health = new Health();
    const b = new SpoolBudget({ dir: '/s', reserveBytes: 100 * MB, health, usage: usage(() => avail) });
    expect(await b.reserve(MB)).to.equal(null);
    expect(health.reasons().map((r) => r.key)).to.deep.equal(['spool']);
    expect(health.reasons()[0]!.message).to.include('50 MiB available').and.include('uncompressed');
    avail = 500 * MB;
    expect(await b.reserve(MB)).to.be.a('function');
    expect(health.degraded).to.equal(false);
  });

  it('measures nothing for a file that needs no room, unless the spool was short: then it clears the reason once room is back', async () => {
    let avail = 50 * MB;
    let measured = 0;
    const health = new Health();
    const b = new SpoolBudget({ dir: '/s', reserveBytes: 100 * MB, health, usage: usage(() => (measured++, avail)) });
    await b.unneeded();
    expect(measured).to.equal(0);
    expect(await b.reserve(MB)).to.equal(null);
    await b.unneeded();
    expect(health.reasons().map((r) => r.key), 'still short').to.deep.equal(['spool']);
    avail = 500 * MB;
    await b.unneeded();
    expect(health.degraded).to.equal(false);
    expect(b.reserved).to.equal(0);
    const before = measured;
    await b.unneeded();
    expect(measured).to.equal(before);
  });

  it('does not block uploads when the filesystem cannot be measured', async () => {
    const b = new SpoolBudget({ dir: '/s', reserveBytes: 1, usage: () => Promise.reject(new Error('ENOSYS')) });
    expect(await b.reserve(MB)).to.be.a('function');
  });
});
