import { expect } from 'chai';
import type { LogDirectory } from '../../../src/config/types.js';
import { SafetyLayers, isBelow, isProtectedDir, type RowView } from '../../../src/deletion/safety.js';
import { FakeFs, NOW, OLD, dir } from './helpers.js';

const uploaded = (size = 100, mtimeMs = OLD): RowView => ({ status: 'uploaded', size, mtimeMs });

describe('deletion/safety', () => {
  function check(dirs: LogDirectory[], fs: FakeFs, path: string, row: RowView | null = uploaded(), allowNotUploaded = false) {
    return new SafetyLayers(dirs, 60_000, fs).check({ path, row, now: NOW, allowNotUploaded });
  }

  it('allows an uploaded, unchanged, old regular file that matches its directory', () => {
    const v = check([dir('/logs/ros')], new FakeFs().file('/logs/ros/run1/a.log'), '/logs/ros/run1/a.log');
    expect(v.ok).to.equal(true);
  });

  it('protects the system directories themselves, matched as whole path segments', () => {
    for (const p of ['/', '/var', '/etc', '/usr', '/opt', '/sys', '/proc', '/boot', '/dev', '/var/']) expect(isProtectedDir(p), p).to.equal(true);
    for (const p of ['/variable', '/optics', '/devdata', '/var/log/tvm', '/home']) expect(isProtectedDir(p), p).to.equal(false);
    const fs = new FakeFs().file('/var/syslog.1').file('/variable/logs/a.log').file('/var/log/tvm/a.log');
    expect(check([dir('/var')], fs, '/var/syslog.1')).to.include({ ok: false, rule: 'protected-directory' });
    expect(check([dir('/variable/logs')], fs, '/variable/logs/a.log').ok).to.equal(true);
    expect(check([dir('/var/log/tvm')], fs, '/var/log/tvm/a.log').ok).to.equal(true);
  });

  it('protects a watched directory whose real path is a protected one (a symlink to /etc)', () => {
    const fs = new FakeFs().file('/data/logs/passwd');
    fs.realDirs.set('/data/logs', '/etc');
    expect(check([dir('/data/logs')], fs, '/data/logs/passwd')).to.include({ ok: false, rule: 'protected-directory' });
  });

  it('keeps every file of a directory with allow_deletion: false', () => {
    const fs = new FakeFs().file('/logs/keep/a.log');
    expect(check([dir('/logs/keep', { allowDeletion: false })], fs, '/logs/keep/a.log')).to.include({ ok: false, rule: 'deletion-not-allowed' });
  });

  it('keeps files in subdirectories of a recursive: false directory, but not those of a directory nested in it', () => {
    const fs = new FakeFs().file('/logs/flat/sub/a.log').file('/logs/flat/a.log').file('/logs/flat/inner/b.log');
    const flat = dir('/logs/flat', { recursive: false });
    expect(check([flat], fs, '/logs/flat/sub/a.log')).to.include({ ok: false, rule: 'subdirectory-not-recursive' });
    expect(check([flat], fs, '/logs/flat/a.log').ok).to.equal(true);
    expect(check([flat, dir('/logs/flat/inner')], fs, '/logs/flat/inner/b.log').ok).to.equal(true);
  });

  it('keeps files that do not match the pattern, and dot-files', () => {
    const fs = new FakeFs().file('/logs/sys/syslog.1').file('/logs/sys/auth.log').file('/logs/sys/.syslog.2');
    const d = dir('/logs/sys', { pattern: 'syslog.[1-9]*' });
    expect(check([d], fs, '/logs/sys/syslog.1').ok).to.equal(true);
    expect(check([d], fs, '/logs/sys/auth.log')).to.include({ ok: false, rule: 'pattern-mismatch' });
    expect(check([dir('/logs/sys')], fs, '/logs/sys/.syslog.2')).to.include({ ok: false, rule: 'pattern-mismatch' });
  });

  it('keeps anything outside every watched directory, separator-aware', () => {
    const fs = new FakeFs().file('/logs/ros2/a.log').file('/logs/ros');
    expect(check([dir('/logs/ros')], fs, '/logs/ros2/a.log')).to.include({ ok: false, rule: 'outside-watched-directories' });
    expect(check([dir('/logs/ros')], fs, '/logs/ros')).to.include({ ok: false, rule: 'outside-watched-directories' });
    expect(isBelow('/logs/ros/x', '/logs/ros/')).to.equal(true);
  });

  it('never follows a symlink: not the file, not a symlinked directory on the way', () => {
    const fs = new FakeFs().link('/logs/ros/latest').file('/logs/ros/linked/a.log').file('/logs/ros/escape/b.log');
    fs.realDirs.set('/logs/ros/linked', '/logs/ros/run7');
    fs.realDirs.set('/logs/ros/escape', '/home/user/precious');
    expect(check([dir('/logs/ros')], fs, '/logs/ros/latest')).to.include({ ok: false, rule: 'symlink' });
    expect(check([dir('/logs/ros')], fs, '/logs/ros/linked/a.log')).to.include({ ok: false, rule: 'outside-real-tree' });
    expect(check([dir('/logs/ros')], fs, '/logs/ros/escape/b.log')).to.include({ ok: false, rule: 'outside-real-tree' });
  });

  it('accepts a watched directory reached through a symlink when the file lies at the same place inside it', () => {
    const fs = new FakeFs().file('/home/u/.ros/log/run/a.log');
    fs.realDirs.set('/home/u/.ros', '/mnt/data/ros');
    expect(check([dir('/home/u/.ros/log')], fs, '/home/u/.ros/log/run/a.log').ok).to.equal(true);
  });

  it('keeps files that are gone or are not regular files', () => {
    const fs = new FakeFs();
    fs.files.set('/logs/ros/fifo', { isFile: false, isSymlink: false, size: 0, mtimeMs: OLD });
    expect(check([dir('/logs/ros')], fs, '/logs/ros/none.log')).to.include({ ok: false, rule: 'not-a-regular-file', file: null });
    expect(check([dir('/logs/ros')], fs, '/logs/ros/fifo')).to.include({ ok: false, rule: 'not-a-regular-file' });
  });

  it('keeps a file modified within the stability window', () => {
    const fs = new FakeFs().file('/logs/ros/a.log', 100, NOW - 59_000).file('/logs/ros/b.log', 100, NOW - 61_000);
    expect(check([dir('/logs/ros')], fs, '/logs/ros/a.log', uploaded(100, NOW - 59_000))).to.include({ ok: false, rule: 'recently-modified' });
    expect(check([dir('/logs/ros')], fs, '/logs/ros/b.log', uploaded(100, NOW - 61_000)).ok).to.equal(true);
  });

  it('keeps a file being compressed or uploaded, even where files not uploaded may go', () => {
    const fs = new FakeFs().file('/logs/ros/a.log');
    expect(check([dir('/logs/ros')], fs, '/logs/ros/a.log', { status: 'in_flight', size: 100, mtimeMs: OLD }, true)).to.include({ ok: false, rule: 'in-flight' });
  });

  it('keeps a file whose size or mtime changed since its upload', () => {
    const fs = new FakeFs().file('/logs/ros/a.log', 200);
    const v = check([dir('/logs/ros')], fs, '/logs/ros/a.log', uploaded(100));
    expect(v).to.include({ ok: false, rule: 'changed-since-upload' });
    expect(v.file?.size).to.equal(200);
    const touched = new FakeFs().file('/logs/ros/a.log', 100, OLD + 5);
    expect(check([dir('/logs/ros')], touched, '/logs/ros/a.log', uploaded(100))).to.include({ ok: false, rule: 'changed-since-upload' });
  });

  it('keeps files not uploaded (queued or unknown) unless the policy allows it', () => {
    const fs = new FakeFs().file('/logs/ros/a.log');
    const queued: RowView = { status: 'queued', size: 100, mtimeMs: OLD };
    expect(check([dir('/logs/ros')], fs, '/logs/ros/a.log', queued)).to.include({ ok: false, rule: 'not-uploaded' });
    expect(check([dir('/logs/ros')], fs, '/logs/ros/a.log', null)).to.include({ ok: false, rule: 'not-uploaded' });
    expect(check([dir('/logs/ros')], fs, '/logs/ros/a.log', queued, true).ok).to.equal(true);
  });

  it('names the owning watched root, as intake decides it', () => {
    const layers = new SafetyLayers([dir('/logs', { recursive: false }), dir('/logs/ros')], 0, new FakeFs());
    expect(layers.rootOf('/logs/a.log')).to.equal('/logs');
    expect(layers.rootOf('/logs/ros/run/a.log')).to.equal('/logs/ros');
    expect(layers.rootOf('/elsewhere/a.log')).to.equal(null);
  });
});
