import { expect } from 'chai';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes } from '../../../src/errors.js';
import { lstatSource } from '../../../src/pipeline/stat-probe.js';
import { caught } from '../../support/caught.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';


describe('pipeline/stat-probe lstatSource', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('tvm-lstat-');
  });
  afterEach(() => removeDir(dir));

  it('gives size and mtime of a regular file', async () => {
    writeFileSync(join(dir, 'f.log'), 'abc');
    expect(await lstatSource(join(dir, 'f.log'))).to.include({ size: 3 });
  });

  it('says gone (null) only when the file itself does not exist', async () => {
    writeFileSync(join(dir, 'plain'), 'x');
    expect(await lstatSource(join(dir, 'missing.log'))).to.equal(null);
    expect(await lstatSource(join(dir, 'plain', 'under-a-file.log'))).to.equal(null); // ENOTDIR
  });

  it('reports a symbolic-link loop in the path (ELOOP) as a failure naming the path, not as gone', async () => {
    symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
    const e = await caught(lstatSource(join(dir, 'loop', 'f.log')));
    expect(e.code).to.equal(ErrorCodes.FILE_UNREADABLE);
    expect(e.message).to.include(join(dir, 'loop', 'f.log')).and.include('symbolic links');
  });

  it('reports a path that became a directory or a symbolic link as a permanent failure', async () => {
    mkdirSync(join(dir, 'd.log'));
    writeFileSync(join(dir, 'target'), 'x');
    symlinkSync(join(dir, 'target'), join(dir, 'link.log'));
    for (const [name, what] of [['d.log', 'a directory'], ['link.log', 'a symbolic link']] as const) {
      const e = await caught(lstatSource(join(dir, name)));
      expect(e.code).to.equal(ErrorCodes.FILE_UNREADABLE);
      expect(e.retriability).to.equal('permanent');
      expect(e.message).to.include(what);
    }
  });
});
