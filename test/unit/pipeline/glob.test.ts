import { expect } from 'chai';
import { compileGlob } from '../../../src/pipeline/glob.js';

describe('pipeline/glob (fnmatch on basenames, as the reference)', () => {
  const cases: Array<[string | null, string, boolean]> = [
    [null, 'anything.log', true],
    ['*.log', 'launch.log', true],
    ['*.log', 'launch.log.1', false],
    ['*.log', 'LAUNCH.LOG', false], // case-sensitive like fnmatch on Linux
    ['syslog*', 'syslog.1', true],
    ['syslog*', 'xsyslog', false],
    ['?.txt', 'a.txt', true],
    ['?.txt', 'ab.txt', false],
    ['log[1-9].txt', 'log5.txt', true],
    ['log[1-9].txt', 'log0.txt', false],
    ['log[!0-4].txt', 'log7.txt', true],
    ['log[!0-4].txt', 'log3.txt', false],
    ['a+b(c).log', 'a+b(c).log', true],
    ['a.b', 'axb', false],
    ['[abc', '[abc', true], // unclosed class is literal
    ['[]]x', ']x', true],
    ['*', '.hidden', true], // dot-files are excluded by the filter, not by the glob
    ['*.log', 'line\nbreak.log', true],
    ['ünï*.log', 'ünïcode.log', true],
  ];
  for (const [pattern, name, expected] of cases) {
    it(`${expected ? 'matches' : 'does not match'} ${JSON.stringify(name)} with ${JSON.stringify(pattern)}`, () => {
      expect(compileGlob(pattern)(name)).to.equal(expected);
    });
  }
});
