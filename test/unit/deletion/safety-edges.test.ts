// The safety layers' edges that the other deletion tests leave open, found by mutation testing
// (docs/TESTING.md): the reason each layer gives (what `cleanup` and the log show an operator for
// a file that stays), a symlinked directory inside the tree, a watched root that resolves into a
// protected directory, the stability window's bound, the not-uploaded opt-in, and the disk
// pressure bounds at exactly the reserve.
import { expect } from 'chai';
import type { DiskConfig, LogDirectory } from '../../../src/config/types.js';
import { SafetyLayers, isBelow, isProtectedDir, type RowView } from '../../../src/deletion/safety.js';
import { afterFreeing, pressure, relievedOfCritical, relievedOfWarning } from '../../../src/deletion/policies.js';
import { FakeFs, NOW, OLD, dir } from './helpers.js';

const STABLE_MS = 60_000;
const uploaded = (size = 100, mtimeMs = OLD): RowView => ({ status: 'uploaded', size, mtimeMs });

function check(dirs: LogDirectory[], fs: FakeFs, path: string, row: RowView | null = uploaded(), allowNotUploaded = false) {
  const v = new SafetyLayers(dirs, STABLE_MS, fs).check({ path, row, now: NOW, allowNotUploaded });
  return v.ok ? { ok: true } : { rule: v.rule, detail: v.detail };
}

describe('deletion safety edges', () => {
  describe('the reason a file stays', () => {
    const fs = new FakeFs().file('/logs/ros/a.log').file('/logs/flat/sub/b.log').file('/logs/ros/c.txt').link('/logs/ros/l.log');
    fs.files.set('/logs/ros/fifo.log', { isFile: false, isSymlink: false, size: 0, mtimeMs: OLD });
    const ros = dir('/logs/ros', { pattern: '*.log' });

    it('names the rule and the directory or value it applied', () => {
      expect(check([ros], fs, '/elsewhere/a.log')).to.deep.equal({ rule: 'outside-watched-directories', detail: 'not below any log_directories entry' });
      expect(check([dir('/logs/flat', { recursive: false })], fs, '/logs/flat/sub/b.log')).to.deep.equal({
        rule: 'subdirectory-not-recursive',
        detail: 'in a subdirectory of /logs/flat, which has recursive: false',
      });
      expect(check([dir('/var')], new FakeFs().file('/var/a.log'), '/var/a.log')).to.deep.equal({ rule: 'protected-directory', detail: '/var is a protected system directory' });
      expect(check([dir('/logs/ros', { allowDeletion: false })], fs, '/logs/ros/a.log')).to.deep.equal({ rule: 'deletion-not-allowed', detail: '/logs/ros has allow_deletion: false' });
      expect(check([ros], fs, '/logs/ros/c.txt')).to.deep.equal({ rule: 'pattern-mismatch', detail: 'does not match pattern "*.log" of /logs/ros' });
      expect(check([ros], fs, '/logs/ros/gone.log')).to.deep.equal({ rule: 'not-a-regular-file', detail: 'does not exist' });
      expect(check([ros], fs, '/logs/ros/l.log')).to.deep.equal({ rule: 'symlink', detail: 'is a symbolic link (never followed)' });
      expect(check([ros], fs, '/logs/ros/fifo.log')).to.deep.equal({ rule: 'not-a-regular-file', detail: 'is not a regular file' });
      expect(check([ros], fs, '/logs/ros/a.log', { status: 'in_flight', size: 100, mtimeMs: OLD })).to.deep.equal({ rule: 'in-flight', detail: 'being compressed or uploaded' });
      expect(check([ros], fs, '/logs/ros/a.log', uploaded(40))).to.deep.equal({ rule: 'changed-since-upload', detail: 'size/mtime changed since the upload (40 → 100 bytes)' });
      expect(check([ros], fs, '/logs/ros/a.log', null)).to.deep.equal({ rule: 'not-uploaded', detail: 'not recorded as uploaded' });
      expect(check([ros], fs, '/logs/ros/a.log', { status: 'queued', size: 100, mtimeMs: OLD })).to.deep.equal({ rule: 'not-uploaded', detail: 'not uploaded yet' });
    });

    it('says where a file really is when a directory on its way is a symbolic link, and "?" when it cannot be resolved', () => {
      const linked = new FakeFs().file('/logs/ros/run1/a.log');
      linked.realDirs.set('/logs/ros/run1', '/mnt/other/run1');
      expect(check([dir('/logs/ros')], linked, '/logs/ros/run1/a.log')).to.deep.equal({
        rule: 'outside-real-tree',
        detail: 'its real location /mnt/other/run1 is not /logs/ros/run1 inside /logs/ros',
      });
      const unresolved = new FakeFs().file('/logs/ros/run1/a.log');
      unresolved.realpath = () => null;
      expect(check([dir('/logs/ros')], unresolved, '/logs/ros/run1/a.log')).to.deep.equal({
        rule: 'outside-real-tree',
        detail: 'its real location ? is not /logs/ros/run1 inside /logs/ros',
      });
    });
  });

  it('refuses a file whose watched root resolves to a protected directory even when its own folder does not', () => {
    const fs = new FakeFs().file('/data/logs/app/a.log');
    fs.realDirs.set('/data/logs', '/var');
    expect(check([dir('/data/logs')], fs, '/data/logs/app/a.log')).to.deep.equal({ rule: 'protected-directory', detail: '/var/app is a protected system directory' });
  });

  it('lets a file go once it has been unchanged for exactly the stability window', () => {
    const fs = new FakeFs().file('/logs/a.log', 100, NOW - STABLE_MS).file('/logs/b.log', 100, NOW - STABLE_MS + 1);
    expect(check([dir('/logs')], fs, '/logs/a.log', uploaded(100, NOW - STABLE_MS))).to.deep.equal({ ok: true });
    expect(check([dir('/logs')], fs, '/logs/b.log', uploaded(100, NOW - STABLE_MS + 1))).to.deep.equal({ rule: 'recently-modified', detail: 'modified within the stability window' });
  });

  it('lets a file that is not uploaded go only under a policy that allows it', () => {
    const fs = new FakeFs().file('/logs/a.log');
    expect(check([dir('/logs')], fs, '/logs/a.log', null, true)).to.deep.equal({ ok: true });
    expect(check([dir('/logs')], fs, '/logs/a.log', { status: 'queued', size: 100, mtimeMs: OLD }, true)).to.deep.equal({ ok: true });
  });

  it('does not count a directory itself, or a directory with a trailing slash, as below or protected', () => {
    expect(isBelow('/logs/', '/logs')).to.equal(false);
    expect(isBelow('/logs/a', '/logs')).to.equal(true);
    expect(isProtectedDir('/var/log/tvm/')).to.equal(false);
    expect(isProtectedDir('/etc/')).to.equal(true);
  });

  describe('disk pressure at exactly the reserve', () => {
    const GIB = 1024 ** 3;
    const DISK: DiskConfig = { reservedGb: 1, warningThreshold: 0.8, criticalThreshold: 0.9, checkIntervalSeconds: 60 };
    const exactly = { usedBytes: 0.5 * GIB, availableBytes: 1 * GIB, usedPercent: 33.3 };

    it('treats exactly reserved_gb available as enough', () => {
      expect(pressure(exactly, DISK)).to.equal('normal');
      expect(relievedOfWarning(exactly, DISK)).to.equal(true);
      expect(relievedOfCritical(exactly, DISK)).to.equal(true);
    });

    it('predicts a half-full filesystem as 50 % used', () => {
      expect(afterFreeing({ usedBytes: 3 * GIB, availableBytes: 1 * GIB, usedPercent: 75 }, 1 * GIB).usedPercent).to.equal(50);
      expect(afterFreeing({ usedBytes: 1 * GIB, availableBytes: 0, usedPercent: 100 }, 2 * GIB)).to.deep.equal({ usedBytes: 0, availableBytes: 1 * GIB, usedPercent: 0 });
    });
  });
});
