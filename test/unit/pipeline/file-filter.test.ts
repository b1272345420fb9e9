import { expect } from 'chai';
import { FileFilter } from '../../../src/pipeline/file-filter.js';
import type { LogDirectory } from '../../../src/config/types.js';

function dir(path: string, source: string, extra: Partial<LogDirectory> = {}): LogDirectory {
  return { path, source, recursive: true, pattern: null, allowDeletion: true, legacy: false, ...extra };
}

describe('pipeline/file-filter', () => {
  const filter = new FileFilter([
    dir('/logs/ros', 'ros'),
    dir('/logs/ros2', 'ros2'),
    dir('/var/log', 'syslog', { recursive: false, pattern: 'syslog*' }),
  ]);

  it('keeps subfolders in the relative path of a recursive directory', () => {
    expect(filter.locate('/logs/ros/run-1/launch.log')).to.deep.equal({ dirIndex: 0, source: 'ros', relPath: 'run-1/launch.log' });
  });

  it('does not let /logs/ros capture /logs/ros2 (separator-aware prefix)', () => {
    expect(filter.locate('/logs/ros2/x.log')).to.deep.equal({ dirIndex: 1, source: 'ros2', relPath: 'x.log' });
  });

  it('ignores files in subdirectories of a non-recursive directory', () => {
    expect(filter.locate('/var/log/apt/syslog.1')).to.equal(null);
    expect(filter.locate('/var/log/syslog.1')).to.deep.equal({ dirIndex: 2, source: 'syslog', relPath: 'syslog.1' });
  });

  it('matches the pattern against the basename only', () => {
    expect(filter.locate('/var/log/kern.log')).to.equal(null);
  });

  it('ignores dot-files but not files inside hidden subdirectories', () => {
    expect(filter.locate('/logs/ros/.launch.log.swp')).to.equal(null);
    expect(filter.locate('/logs/ros/.cache/a.log')).to.deep.include({ relPath: '.cache/a.log' });
  });

  it('returns null for paths outside every directory and for the directory itself', () => {
    expect(filter.locate('/tmp/a.log')).to.equal(null);
    expect(filter.accepts(0, '/logs/ros')).to.equal(null);
    expect(filter.accepts(9, '/logs/ros/a')).to.equal(null);
  });

  it('descends only into trees a directory entry covers', () => {
    expect(filter.descends(0, '/logs/ros')).to.equal(true);
    expect(filter.descends(0, '/logs/ros/run-1')).to.equal(true);
    expect(filter.descends(2, '/var/log/apt')).to.equal(false);
    expect(filter.descends(2, '/var/log')).to.equal(true);
    expect(filter.descends(0, '/logs/ros2')).to.equal(false);
    expect(filter.descends(7, '/x')).to.equal(false);
  });
});
