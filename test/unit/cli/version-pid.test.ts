import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLockPid } from '../../../src/cli/daemon-pid.js';
import { LOCK_FILE, type LockProbes } from '../../../src/state/lock.js';
import { findVersion, VERSION } from '../../../src/version.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

describe('version and daemon pid', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir('tvm-version-')));
  afterEach(() => removeDir(dir));

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
    // Probes stand in for /proc: pid 4242 is alive, booted in "boot-a", started at tick 100.
    const probes: LockProbes = { pid: 1, bootId: () => 'boot-a', startTime: (p) => (p === 4242 ? '100' : null), alive: (p) => p === 4242 };
    const lock = (v: unknown): void => writeFileSync(join(dir, LOCK_FILE), typeof v === 'string' ? v : JSON.stringify(v));
    expect(readLockPid(dir, probes), 'no lock file').to.equal(null);
    lock({ pid: 4242, bootId: 'boot-a', startTime: '100' });
    expect(readLockPid(dir, probes)).to.equal(4242);
    lock({ pid: 4242, bootId: 'boot-a', startTime: '99' });
    expect(readLockPid(dir, probes), 'the pid was reused by a process started later').to.equal(null);
    lock({ pid: 4242, bootId: 'boot-b', startTime: '100' });
    expect(readLockPid(dir, probes), 'a lock from another boot').to.equal(null);
    lock({ pid: 'x' });
    expect(readLockPid(dir, probes), 'a pid that is not a number').to.equal(null);
    lock({ pid: 2 ** 22 + 1, bootId: 'boot-a', startTime: '100' });
    expect(readLockPid(dir, probes), 'a pid no process has').to.equal(null);
    lock('garbage');
    expect(readLockPid(dir, probes), 'a damaged lock file').to.equal(null);
  });
});
