import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLockPid } from '../../../src/cli/daemon-pid.js';
import { LOCK_FILE } from '../../../src/state/lock.js';
import { findVersion, VERSION } from '../../../src/version.js';

describe('version and daemon pid', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tvm-version-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the version of the nearest tvm-upload package.json, walking up past other packages', () => {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tvm-upload', version: '9.8.7' }));
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    writeFileSync(join(dir, 'a/package.json'), JSON.stringify({ name: 'something-else', version: '1.0.0' }));
    writeFileSync(join(dir, 'a/b/package.json'), '{ not json');
    expect(findVersion(join(dir, 'a/b'))).to.equal('9.8.7');
  });

  it('falls back to 0.0.0 when no tvm-upload package.json is within reach', () => {
    mkdirSync(join(dir, 'a/b/c/d'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'tvm-upload', version: '9.8.7' }));
    expect(findVersion(join(dir, 'a/b/c/d')), 'four levels down is out of reach').to.equal('0.0.0');
    writeFileSync(join(dir, 'a/b/c/d/package.json'), JSON.stringify({ name: 'tvm-upload' }));
    expect(findVersion(join(dir, 'a/b/c/d')), 'a package.json without a version').to.equal('0.0.0');
  });

  it('knows its own version', () => {
    expect(VERSION).to.match(/^\d+\.\d+\.\d+/);
  });

  it('finds the pid of a live daemon in the lock file, and none otherwise', () => {
    expect(readLockPid(dir), 'no lock file').to.equal(null);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid }));
    expect(readLockPid(dir)).to.equal(process.pid);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 'x' }));
    expect(readLockPid(dir), 'a pid that is not a number').to.equal(null);
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: 2 ** 22 + 1 }));
    expect(readLockPid(dir), 'a pid no process has').to.equal(null);
    writeFileSync(join(dir, LOCK_FILE), 'garbage');
    expect(readLockPid(dir), 'a damaged lock file').to.equal(null);
  });
});
