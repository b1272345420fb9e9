import { expect } from 'chai';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { oldestUnrecorded } from '../../../src/deletion/unrecorded.js';
import { dir, writeFile } from './helpers.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

describe('deletion/unrecorded', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('tvm-unrec-');
  });
  afterEach(() => removeDir(root));

  it('keeps only the oldest `limit` files without a row, below the mtime bound, as intake sees the tree', async () => {
    const logs = join(root, 'logs');
    const now = Date.now();
    for (let i = 0; i < 30; i++) writeFile(join(logs, `run-${i % 3}`, `f${String(i).padStart(2, '0')}.log`), 10, now - (100 - i) * 60_000);
    writeFile(join(logs, 'skip.txt'), 10, now - 500 * 60_000); // pattern mismatch
    writeFile(join(logs, '.dot.log'), 10, now - 500 * 60_000); // dot-file
    writeFile(join(root, 'outside.log'), 10, now - 500 * 60_000);
    symlinkSync(join(root, 'outside.log'), join(logs, 'link.log'));
    const known = new Set([join(logs, 'run-0', 'f00.log')]);
    const d = dir(logs, { pattern: '*.log' });
    const got = await oldestUnrecorded([d], [logs], (p) => known.has(p), now - 75.5 * 60_000, 4);
    expect(got.map((f) => f.path.slice(logs.length + 1))).to.deep.equal(['run-1/f01.log', 'run-2/f02.log', 'run-0/f03.log', 'run-1/f04.log']);
    expect(got[0]).to.include({ source: d.source, size: 10 });
    const bounded = await oldestUnrecorded([d], [logs], () => false, now - 75.5 * 60_000, 1000);
    expect(bounded).to.have.length(25); // i = 0..24 are older than the bound
    expect(await oldestUnrecorded([d], ['/elsewhere'], () => false, Infinity)).to.deep.equal([]);
  });
});
