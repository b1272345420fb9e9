import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { diskUsage, usageFromStatfs, type DiskUsageIo, type StatfsLike } from '../../../src/disk/usage.js';
import { missingTool } from '../../support/tools.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

const enoent = (p: string): Error => Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });

function fakeIo(table: Record<string, StatfsLike>, devices: Record<string, number> = {}): DiskUsageIo & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    statfs: async (p) => {
      asked.push(p);
      const s = table[p];
      if (s === undefined) throw enoent(p);
      return s;
    },
    device: async (p) => devices[p] ?? 1,
  };
}

describe('disk/usage', () => {
  it('computes Use% as df does: used over used plus available, root-reserved blocks left out', () => {
    // 1000 blocks, 300 free of which 200 available to users: used 700, df shows 700/900.
    const u = usageFromStatfs({ bsize: 4096, blocks: 1000, bfree: 300, bavail: 200 });
    expect(u).to.not.equal(null);
    expect(u!.usedBytes).to.equal(700 * 4096);
    expect(u!.availableBytes).to.equal(200 * 4096);
    expect(u!.totalBytes).to.equal(1000 * 4096);
    expect(u!.usedPercent).to.be.closeTo((700 / 900) * 100, 1e-9);
  });

  it('rejects statfs answers no filesystem gives', () => {
    expect(usageFromStatfs({ bsize: 4096, blocks: 0, bfree: 0, bavail: 0 })).to.equal(null);
    expect(usageFromStatfs({ bsize: 4096, blocks: 10, bfree: 11, bavail: 0 })).to.equal(null);
    expect(usageFromStatfs({ bsize: 4096, blocks: 10, bfree: 5, bavail: 6 })).to.equal(null);
    expect(usageFromStatfs({ bsize: Number.NaN, blocks: 10, bfree: 5, bavail: 5 })).to.equal(null);
  });

  it('measures a directory that does not exist yet through its nearest existing ancestor', async () => {
    const io = fakeIo({ '/data': { bsize: 1024, blocks: 100, bfree: 50, bavail: 50 } }, { '/data': 7 });
    const u = await diskUsage('/data/logs/today', io);
    expect(u.measuredPath).to.equal('/data');
    expect(u.device).to.equal(7);
    expect(u.usedPercent).to.equal(50);
    expect(io.asked).to.deep.equal(['/data/logs/today', '/data/logs', '/data']);
  });

  it('reports an error other than ENOENT instead of measuring another filesystem', async () => {
    const io: DiskUsageIo = {
      statfs: async () => {
        throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
      },
      device: async () => 1,
    };
    let caught: unknown = null;
    await diskUsage('/secret/logs', io).catch((e: unknown) => (caught = e));
    expect((caught as { code?: string } | null)?.code).to.equal('EACCES');
  });

  it('agrees with df on a real filesystem', async function () {
    const dir = tempDir('tvm-usage-');
    try {
      let dfOut: string;
      try {
        dfOut = execFileSync('df', ['-B1', '--output=used,avail', dir], { encoding: 'utf8' });
      } catch {
        // No coreutils df on this machine: the arithmetic is covered above.
        return missingTool(this, 'df', 'coreutils df cannot be run');
      }
      const [used, avail] = dfOut.trim().split('\n')[1]!.trim().split(/\s+/).map(Number) as [number, number];
      const u = await diskUsage(dir);
      // Other processes write meanwhile: allow a few MiB of drift between the two readings.
      expect(Math.abs(u.usedBytes - used)).to.be.lessThan(64 * 1024 * 1024);
      expect(Math.abs(u.availableBytes - avail)).to.be.lessThan(64 * 1024 * 1024);
    } finally {
      removeDir(dir);
    }
  });
});
