import { expect } from 'chai';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes } from '../../../src/errors.js';
import { prepareSpool, spoolFileName } from '../../../src/workers/spool-dir.js';
import { caught } from '../../support/caught.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

describe('workers/spool-dir', () => {
  let root: string;
  beforeEach(() => (root = tempDir('tvm-spool-')));
  afterEach(() => removeDir(root));

  it('names spool files after the row id and the codec', () => {
    expect([spoolFileName(7, 'gzip'), spoolFileName(8, 'zstd'), spoolFileName(9, 'none')]).to.deep.equal(['7.gz', '8.zst', '9.raw']);
  });

  it('creates a missing spool directory', async () => {
    expect(await prepareSpool(join(root, 'spool'))).to.deep.equal([]);
    expect(readdirSync(root)).to.deep.equal(['spool']);
  });

  it('removes only the files it writes (finished and .partial), leaving anything else in place', async () => {
    const spool = join(root, 'spool');
    mkdirSync(spool);
    for (const n of ['12.gz', '13.zst.partial', '14.raw', 'notes.txt', 'app.log', '15.gz.bak']) writeFileSync(join(spool, n), 'x');
    mkdirSync(join(spool, 'keep'));
    const foreign = await prepareSpool(spool);
    expect(foreign.sort()).to.deep.equal(['15.gz.bak', 'app.log', 'keep', 'notes.txt']);
    expect(readdirSync(spool).sort()).to.deep.equal(['15.gz.bak', 'app.log', 'keep', 'notes.txt']);
  });

  it('refuses a spool path that is a symbolic link, without following or removing it', async () => {
    mkdirSync(join(root, 'logs'));
    writeFileSync(join(root, 'logs', '1.gz'), 'a log that must survive');
    symlinkSync(join(root, 'logs'), join(root, 'spool'));
    const e = await caught(prepareSpool(join(root, 'spool')));
    expect(e.code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
    expect(e.message).to.include('symbolic link');
    expect(readdirSync(join(root, 'logs'))).to.deep.equal(['1.gz']);
  });
});
