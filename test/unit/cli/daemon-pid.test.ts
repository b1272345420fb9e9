import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { readLockPid, signalDaemon } from '../../../src/cli/daemon-pid.js';
import { LOCK_FILE, type LockProbes } from '../../../src/state/lock.js';
import { removeDir, tempDir } from '../state/helpers.js';

const probes: LockProbes = { pid: 1000, bootId: () => 'boot-a', startTime: () => '100', alive: () => true };

describe('cli/daemon-pid', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => removeDir(dir));
  const writeLock = (owner: unknown) => fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(owner));

  it('signals the daemon the lock names when its owner is confirmed', () => {
    writeLock({ pid: 42, bootId: 'boot-a', startTime: '100' });
    const sent: Array<[number, string]> = [];
    expect(signalDaemon(dir, 'SIGUSR1', probes, (pid, s) => sent.push([pid, s]))).to.equal(42);
    expect(sent).to.deep.equal([[42, 'SIGUSR1']]);
    expect(readLockPid(dir, probes)).to.equal(42);
  });

  it('never signals a process that took over the pid of a stale lock', () => {
    writeLock({ pid: 42, bootId: 'boot-a', startTime: '7' });
    const sent: number[] = [];
    expect(signalDaemon(dir, 'SIGUSR1', probes, (pid) => sent.push(pid))).to.equal(null);
    expect(sent).to.deep.equal([]);
    expect(readLockPid(dir, probes)).to.equal(null);
  });
});
