import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { acquireLock, LOCK_FILE, readLiveOwner, systemProbes, type LockProbes } from '../../../src/state/lock.js';
import { removeDir, tempDir } from './helpers.js';

function probes(over: Partial<LockProbes> = {}): LockProbes {
  return {
    pid: 1000,
    bootId: () => 'boot-a',
    startTime: (pid) => (pid === 1000 ? '500' : '100'),
    alive: () => true,
    ...over,
  };
}

describe('state dir lock', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir()));
  afterEach(() => removeDir(dir));

  const writeLock = (owner: unknown) =>
    fs.writeFileSync(path.join(dir, LOCK_FILE), typeof owner === 'string' ? owner : JSON.stringify(owner));

  function expectLockedBy(pid: number, p: LockProbes): void {
    try {
      acquireLock(dir, p);
    } catch (err) {
      expect(err).to.be.instanceOf(TvmError);
      expect((err as TvmError).code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
      expect((err as TvmError).message).to.equal(`another tvm-upload (pid ${pid}) is using state dir ${dir}`);
      return;
    }
    throw new Error('expected the lock to be refused');
  }

  function expectTakenOver(p: LockProbes): void {
    const lock = acquireLock(dir, p);
    expect(JSON.parse(fs.readFileSync(lock.file, 'utf8'))).to.deep.equal({ pid: 1000, bootId: 'boot-a', startTime: '500' });
    lock.release();
  }

  it('writes pid, boot id and start time, and removes the file on release', () => {
    expectTakenOver(probes());
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).to.equal(false);
    expect(fs.readdirSync(dir)).to.deep.equal([]); // no temp file left behind
  });

  it('refuses a lock held by a live process of this boot that started when the lock says', () => {
    writeLock({ pid: 42, bootId: 'boot-a', startTime: '100' });
    expectLockedBy(42, probes());
  });

  it('treats a lock whose pid is gone as stale', () => {
    writeLock({ pid: 42, bootId: 'boot-a', startTime: '100' });
    expectTakenOver(probes({ alive: () => false }));
  });

  it('treats a lock from an earlier boot as stale even if the pid is alive now', () => {
    writeLock({ pid: 42, bootId: 'boot-old', startTime: '100' });
    expectTakenOver(probes());
  });

  it('treats a lock as stale when its pid now belongs to a process started later', () => {
    writeLock({ pid: 42, bootId: 'boot-a', startTime: '99' });
    expectTakenOver(probes());
  });

  it('treats a lock naming this very pid (left by an earlier run) as stale', () => {
    writeLock({ pid: 1000, bootId: 'boot-a', startTime: '1' });
    expectTakenOver(probes());
  });

  it('treats garbage lock content as stale', () => {
    writeLock('{"pid": "nope"');
    expectTakenOver(probes());
    writeLock({ pid: -3 });
    expectTakenOver(probes());
  });

  it('trusts a live pid when boot id and start time are unknown', () => {
    writeLock({ pid: 42 });
    expectLockedBy(42, probes({ bootId: () => null, startTime: () => null }));
  });

  it('does not delete a lock another process took over after ours', () => {
    const lock = acquireLock(dir, probes());
    writeLock({ pid: 77, bootId: 'boot-a', startTime: '100' });
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).to.equal(true);
    lock.release(); // idempotent
  });

  it('falls back to an exclusive create on filesystems without hard links', () => {
    const noLinks = () => {
      throw Object.assign(new Error('EPERM: operation not permitted, link'), { code: 'EPERM' });
    };
    const lock = acquireLock(dir, probes(), noLinks);
    expect(JSON.parse(fs.readFileSync(lock.file, 'utf8'))).to.include({ pid: 1000 });
    writeLock({ pid: 42, bootId: 'boot-a', startTime: '100' });
    lock.release(); // not ours any more: kept
    expect(() => acquireLock(dir, probes(), noLinks)).to.throw(TvmError, 'pid 42');
    expect(fs.readdirSync(dir)).to.deep.equal([LOCK_FILE]);
  });

  it('lets other link failures through', () => {
    const broken = () => {
      throw Object.assign(new Error('EIO: i/o error, link'), { code: 'EIO' });
    };
    expect(() => acquireLock(dir, probes(), broken)).to.throw('EIO');
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  describe('readLiveOwner (what commands that signal the daemon ask)', () => {
    it('names the owner whose pid, boot id and start time are all confirmed', () => {
      writeLock({ pid: 42, bootId: 'boot-a', startTime: '100' });
      expect(readLiveOwner(dir, probes())).to.deep.equal({ pid: 42, bootId: 'boot-a', startTime: '100' });
    });

    it('names nobody for a missing, garbage or stale lock', () => {
      expect(readLiveOwner(dir, probes())).to.equal(null);
      writeLock('{"pid": "nope"');
      expect(readLiveOwner(dir, probes())).to.equal(null);
      writeLock({ pid: 42, bootId: 'boot-old', startTime: '100' });
      expect(readLiveOwner(dir, probes())).to.equal(null);
      writeLock({ pid: 42, bootId: 'boot-a', startTime: '99' });
      expect(readLiveOwner(dir, probes())).to.equal(null);
      writeLock({ pid: 42, bootId: 'boot-a', startTime: '100' });
      expect(readLiveOwner(dir, probes({ alive: () => false }))).to.equal(null);
    });

    it('names nobody when the owner cannot be confirmed, though the lock stays refused', () => {
      writeLock({ pid: 42 });
      expect(readLiveOwner(dir, probes())).to.equal(null);
      writeLock({ pid: 42, bootId: 'boot-a', startTime: '100' });
      expect(readLiveOwner(dir, probes({ startTime: () => null }))).to.equal(null);
      expect(readLiveOwner(dir, probes({ bootId: () => null }))).to.equal(null);
      expectLockedBy(42, probes({ startTime: () => null }));
    });

    it('names this process only while it holds the lock', () => {
      const lock = acquireLock(dir, probes());
      expect(readLiveOwner(dir, probes())?.pid).to.equal(1000);
      lock.release();
      writeLock({ pid: 1000, bootId: 'boot-a', startTime: '500' });
      expect(readLiveOwner(dir, probes())).to.equal(null);
    });
  });

  it('reads real process facts from /proc', () => {
    expect(systemProbes.alive(process.pid)).to.equal(true);
    expect(systemProbes.alive(2 ** 22 + 12345)).to.equal(false);
    expect(systemProbes.startTime(process.pid)).to.match(/^\d+$/);
    expect(systemProbes.startTime(2 ** 22 + 12345)).to.equal(null);
    expect(systemProbes.bootId()).to.match(/^[0-9a-f-]{36}$/);
  });
});
