import { expect } from 'chai';
import { ErrorCodes } from '../../../src/errors.js';
import { outputFailure, sourceFailure, syscallCodeOf, toWorkerFailure } from '../../../src/workers/failure.js';
import { crashToError, failureToError } from '../../../src/workers/pool-errors.js';
import type { CompressRequest } from '../../../src/workers/protocol.js';

const request: CompressRequest = {
  kind: 'compress',
  sourcePath: '/logs/a.log',
  outputPath: '/spool/a.log.gz',
  codec: 'gzip',
  level: 6,
  skipExtensions: [],
  partSize: 5 * 1024 * 1024,
  expectedSize: 10,
  expectedMtimeMs: 1,
};

const sysErr = (code: string): Error => Object.assign(new Error(`${code}: boom`), { code });

describe('workers/pool-errors and failure classification', () => {
  it('maps each failure code to a TvmError with paths, syscall code and a default retriability', () => {
    const cases: Array<[string, string]> = [
      [ErrorCodes.FILE_VANISHED, 'permanent'],
      [ErrorCodes.FILE_UNREADABLE, 'permanent'],
      [ErrorCodes.CODEC_UNAVAILABLE, 'operator'],
      [ErrorCodes.FILE_CHANGED, 'retriable'],
      [ErrorCodes.DISK_FULL, 'retriable'],
      [ErrorCodes.WORKER_FAILED, 'retriable'],
    ];
    for (const [code, retriability] of cases) {
      const err = failureToError({ kind: 'failed', code, message: 'm', syscallCode: 'EIO' }, request);
      expect(err.code).to.equal(code);
      expect(err.retriability, code).to.equal(retriability);
      expect(err.details).to.deep.equal({ sourcePath: request.sourcePath, outputPath: request.outputPath, codec: 'gzip', syscallCode: 'EIO' });
    }
  });

  it('tells the operator how to get zstd', () => {
    const err = failureToError({ kind: 'failed', code: ErrorCodes.CODEC_UNAVAILABLE, message: 'm', syscallCode: null }, request);
    expect(err.hint).to.contain('zstd-napi');
  });

  it('reports a code the catalog does not know as WORKER_FAILED and keeps the original', () => {
    const err = failureToError({ kind: 'failed', code: 'TVM_ERR_FROM_THE_FUTURE', message: 'm', syscallCode: null }, request);
    expect(err.code).to.equal(ErrorCodes.WORKER_FAILED);
    expect(err.details.workerCode).to.equal('TVM_ERR_FROM_THE_FUTURE');
  });

  it('wraps a crashed task, keeping the cause, and accepts non-Error rejections', () => {
    const cause = new Error('worker exited with code: 1');
    const err = crashToError(cause, request);
    expect(err).to.include({ code: ErrorCodes.WORKER_FAILED, cause });
    expect(err.retriable).to.equal(true);
    expect(crashToError('plain string', request).message).to.contain('plain string');
  });

  it('classifies source-side errors: ENOENT/ENOTDIR vanished, anything else unreadable', () => {
    expect(sourceFailure(sysErr('ENOENT'), '/a').code).to.equal(ErrorCodes.FILE_VANISHED);
    expect(sourceFailure(sysErr('ENOTDIR'), '/a').code).to.equal(ErrorCodes.FILE_VANISHED);
    expect(sourceFailure(sysErr('EACCES'), '/a')).to.include({ code: ErrorCodes.FILE_UNREADABLE, syscallCode: 'EACCES' });
    expect(sourceFailure(sysErr('EIO'), '/a')).to.include({ code: ErrorCodes.FILE_UNREADABLE, syscallCode: 'EIO' });
    expect(sourceFailure('weird', '/a')).to.include({ code: ErrorCodes.FILE_UNREADABLE, syscallCode: null });
  });

  it('classifies output-side errors: ENOSPC and EDQUOT are a full disk', () => {
    expect(outputFailure(sysErr('ENOSPC'), '/o').code).to.equal(ErrorCodes.DISK_FULL);
    expect(outputFailure(sysErr('EDQUOT'), '/o').code).to.equal(ErrorCodes.DISK_FULL);
    expect(outputFailure(sysErr('EROFS'), '/o')).to.include({ code: ErrorCodes.WORKER_FAILED, syscallCode: 'EROFS' });
    const already = sourceFailure(sysErr('ENOENT'), '/a');
    expect(outputFailure(already, '/o')).to.equal(already);
  });

  it("keeps Node's ERR_* codes out of syscallCode", () => {
    expect(syscallCodeOf(sysErr('ERR_OUT_OF_RANGE'))).to.equal(null);
    expect(syscallCodeOf(sysErr('ENOSPC'))).to.equal('ENOSPC');
    expect(syscallCodeOf(undefined)).to.equal(null);
    expect(toWorkerFailure('not an error')).to.deep.equal({ kind: 'failed', code: ErrorCodes.WORKER_FAILED, message: 'compression failed: not an error', syscallCode: null });
  });
});
