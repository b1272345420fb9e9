import { expect } from 'chai';
import { checkDirectories, guessSource, isInside, type DirectoryEntry } from '../../../src/config/directories.js';

function entry(path: string, source: string | null, recursive = true): DirectoryEntry {
  return { path, source, recursive, legacy: source === null };
}

describe('config/directories', () => {
  it('guesses sources for legacy entries exactly like the reference, first hit wins', () => {
    expect(guessSource('/home/u/.parcel/log/terminal')).to.equal('terminal');
    expect(guessSource('/home/u/Terminal_logs')).to.equal('terminal');
    expect(guessSource('/home/u/.ros/log')).to.equal('ros');
    expect(guessSource('/data/ros_log/x')).to.equal('ros');
    expect(guessSource('/home/u/ros2_ws/log')).to.equal('ros2');
    expect(guessSource('/var/log')).to.equal('syslog');
    expect(guessSource('/var/logs')).to.equal('syslog');
    expect(guessSource('/var/log/terminal')).to.equal('terminal');
  });

  it('falls back to the base name with characters outside [A-Za-z0-9_] replaced', () => {
    expect(guessSource('/tmp/tvm-test-logs')).to.equal('tvm_test_logs');
    expect(guessSource('/data/Bags.v2')).to.equal('Bags_v2');
  });

  it('cannot guess a source for the root directory', () => {
    expect(guessSource('/')).to.equal(null);
  });

  it('treats nesting as separator-aware', () => {
    expect(isInside('/a/b', '/a')).to.equal(true);
    expect(isInside('/a/bc', '/a/b')).to.equal(false);
    expect(isInside('/a', '/a')).to.equal(false);
    expect(isInside('/anything', '/')).to.equal(true);
  });

  it('accepts distinct, unrelated directories', () => {
    expect(checkDirectories([entry('/a', 'a'), entry('/b', 'b'), entry('/c/d', null)])).to.deep.equal([]);
  });

  it('accepts a directory inside a non-recursive one', () => {
    expect(checkDirectories([entry('/var/log', 'syslog', false), entry('/var/log/app', 'app')])).to.deep.equal([]);
  });

  it('rejects a directory inside a recursive one, naming both entries', () => {
    expect(checkDirectories([entry('/a/b', 'b'), entry('/a', 'a')])).to.deep.equal([
      {
        path: [0, 'path'],
        message: '"/a/b" is inside log_directories[1] ("/a"), which is recursive, so its files would belong to two sources; set recursive: false on log_directories[1] or remove one entry',
      },
    ]);
  });

  it('reports a repeated directory once, as a duplicate', () => {
    expect(checkDirectories([entry('/a', 'a'), entry('/a', 'a')])).to.deep.equal([
      { path: [1, 'path'], message: '"/a" is the same directory as log_directories[0]' },
    ]);
  });

  it('rejects a source used twice', () => {
    expect(checkDirectories([entry('/a', 'logs'), entry('/b', 'logs')])).to.deep.equal([
      { path: [1, 'source'], message: '"logs" is already used by log_directories[0]' },
    ]);
  });

  it('accepts legacy guesses that collide, as the reference did (resolve.ts warns)', () => {
    expect(checkDirectories([entry('/var/log/autoware/bags', null), entry('/var/log/autoware/system', null)])).to.deep.equal([]);
  });

  it('rejects a legacy entry whose source cannot be guessed', () => {
    expect(checkDirectories([entry('/', null)])).to.deep.equal([
      { path: [0], message: 'cannot guess a source for "/"; write this entry as {path, source}' },
    ]);
  });

  it('skips entries that failed their own validation', () => {
    expect(checkDirectories([null, entry('/a', 'a'), null])).to.deep.equal([]);
  });
});
