/**
 * What a failing read of a log (or of the spool) tells the operator, per system error: the code
 * decides retry or park, the message names the file, the hint says what to do.
 */
import { expect } from 'chai';
import { ErrorCodes } from '../../../src/errors.js';
import { classify } from '../../../src/sinks/s3/classify.js';

const sysError = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`${code}: failed`), { code, ...extra });

const TABLE = [
  ['ENOENT', ErrorCodes.FILE_VANISHED, 'retriable', 'disappeared before it could be uploaded', /picked up again if it reappears/],
  ['EACCES', ErrorCodes.FILE_UNREADABLE, 'operator', 'cannot be read (permission denied)', /read access to the log directory/],
  ['EPERM', ErrorCodes.FILE_UNREADABLE, 'operator', 'cannot be read (operation not permitted)', /read access to the log directory/],
  ['EISDIR', ErrorCodes.FILE_UNREADABLE, 'permanent', 'is a directory', /only regular files/],
  ['EIO', ErrorCodes.FILE_UNREADABLE, 'retriable', 'cannot be read (I/O error)', /check the disk/],
  ['ELOOP', ErrorCodes.FILE_UNREADABLE, 'operator', 'cannot be reached (too many levels of symbolic links)', /symbolic-link loop/],
  ['EMFILE', ErrorCodes.FILE_UNREADABLE, 'retriable', 'cannot be opened (too many open files)', /LimitNOFILE/],
  ['ENOSPC', ErrorCodes.DISK_FULL, 'retriable', 'cannot be processed: the disk is full', /free space/],
] as const;

describe('sinks/fs-errors (through classify)', () => {
  for (const [sys, code, retriability, what, hint] of TABLE) {
    it(`${sys}: ${code}, ${retriability}, "<path> ${what}"`, () => {
      const e = classify(sysError(sys), { path: '/logs/ros/a.log' });
      expect([e.code, e.retriability]).to.deep.equal([code, retriability]);
      expect(e.message).to.equal(`/logs/ros/a.log ${what}`);
      expect(e.hint).to.match(hint);
      expect(e.details).to.deep.equal({ path: '/logs/ros/a.log', syscallCode: sys });
    });
  }

  it('names the path the error carries when the caller gave none, looking through causes', () => {
    const wrapped = Object.assign(new Error('outer'), { cause: Object.assign(new Error('mid'), { cause: sysError('EACCES', { path: '/logs/x.log' }) }) });
    expect(classify(sysError('ENOENT', { path: '/spool/3.gz' })).message).to.equal('/spool/3.gz disappeared before it could be uploaded');
    expect(classify(wrapped).message).to.equal('/logs/x.log cannot be read (permission denied)');
  });

  it('falls back on the object key, then on "?", and records bucket and key when known', () => {
    const e = classify(sysError('EIO'), { bucket: 'logs', key: 'veh/a.log.gz' });
    expect(e.message).to.equal('veh/a.log.gz cannot be read (I/O error)');
    expect(e.details).to.deep.equal({ path: 'veh/a.log.gz', syscallCode: 'EIO', bucket: 'logs', key: 'veh/a.log.gz' });
    expect(classify(sysError('EIO')).message).to.equal('? cannot be read (I/O error)');
    expect(classify(sysError('EIO')).details).to.deep.equal({ path: '?', syscallCode: 'EIO' });
  });

  it('stops looking for a path after 8 causes (a cause chain can be a cycle)', () => {
    const deep = sysError('EIO') as unknown as Record<string, unknown>;
    let e = deep;
    for (let i = 0; i < 8; i++) e = e.cause = new Error(`level ${i}`) as unknown as Record<string, unknown>;
    e.path = '/too/deep.log';
    expect(classify(deep).message).to.equal('? cannot be read (I/O error)');
    const cyclic = sysError('EIO') as unknown as Record<string, unknown>;
    cyclic.cause = cyclic;
    expect(classify(cyclic).message).to.equal('? cannot be read (I/O error)');
  });
});
