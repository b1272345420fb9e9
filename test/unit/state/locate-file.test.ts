import { expect } from 'chai';
import { locateFile, relativeInside } from '../../../src/state/locate-file.js';
import { sameIdentity, sameMtime } from '../../../src/state/identity.js';

describe('locateFile', () => {
  const dirs = [
    { path: '/home/av/.ros/log', source: 'ros' },
    { path: '/home/av/ros2_ws/log', source: 'ros2' },
    { path: '/var/log', source: 'syslog' },
    { path: '/var/log/nested', source: 'shadowed' },
  ];

  it('gives the source and the path below the directory, subfolders kept', () => {
    expect(locateFile('/home/av/.ros/log/run-1/launch.log', dirs)).to.deep.equal({
      source: 'ros', relPath: 'run-1/launch.log', dir: dirs[0],
    });
  });

  it('matches on path separators, not string prefixes', () => {
    const d = [{ path: '/logs/ros', source: 'ros' }, { path: '/logs/ros2', source: 'ros2' }];
    expect(locateFile('/logs/ros2/a.log', d).source).to.equal('ros2');
    expect(locateFile('/logs/rosbag/a.log', d)).to.deep.equal({ source: 'other', relPath: 'a.log', dir: null });
  });

  it('lets the first directory in config order win when directories overlap', () => {
    expect(locateFile('/var/log/nested/x.log', dirs)).to.deep.include({ source: 'syslog', relPath: 'nested/x.log' });
  });

  it('puts a file outside every directory under "other" with its basename', () => {
    expect(locateFile('/tmp/stray/file.txt', dirs)).to.deep.equal({ source: 'other', relPath: 'file.txt', dir: null });
  });

  it('does not treat the directory itself as a file inside it', () => {
    expect(locateFile('/var/log', dirs).source).to.equal('other');
    expect(locateFile('/var/log/', dirs).source).to.equal('other');
  });

  it('normalises dot segments and tolerates a trailing slash or the root directory', () => {
    expect(locateFile('/home/av/ros2_ws/log/../log/./a.log', dirs)).to.deep.include({ source: 'ros2', relPath: 'a.log' });
    expect(locateFile('/data/x/a.log', [{ path: '/data/x/', source: 'd' }])).to.deep.include({ relPath: 'a.log' });
    expect(locateFile('/a/b.log', [{ path: '/', source: 'root' }])).to.deep.include({ source: 'root', relPath: 'a/b.log' });
  });

  it('relativeInside returns null outside the directory', () => {
    expect(relativeInside('/a/bc', '/a/b')).to.equal(null);
    expect(relativeInside('/a/b/c', '/a/b')).to.equal('c');
  });
});

describe('file identity', () => {
  it('compares sizes exactly and mtimes to under a microsecond', () => {
    const m = 1796007598058.3262;
    expect(sameMtime(m, m)).to.equal(true);
    expect(sameMtime(m, 1796007598.0583262 * 1000)).to.equal(true); // Python float seconds × 1000
    expect(sameMtime(m, m + 0.002)).to.equal(false);
    expect(sameIdentity({ size: 1, mtimeMs: m }, { size: 1, mtimeMs: m + 0.0005 })).to.equal(true);
    expect(sameIdentity({ size: 1, mtimeMs: m }, { size: 2, mtimeMs: m })).to.equal(false);
  });
});
