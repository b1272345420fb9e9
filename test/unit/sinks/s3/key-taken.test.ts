import { expect } from 'chai';
import { ErrorCodes, TvmError } from '../../../../src/errors.js';
import { isPreconditionFailed, keyTaken, refusedAsTaken } from '../../../../src/sinks/s3/key-taken.js';

const sdkError = (name: string, status?: number) => Object.assign(new Error(name), { name, ...(status !== undefined ? { $metadata: { httpStatusCode: status } } : {}) });

describe('sinks/s3/key-taken', () => {
  it('recognises a refused conditional write by its status or by its error name', () => {
    expect(isPreconditionFailed(sdkError('Unknown', 412))).to.equal(true);
    expect(isPreconditionFailed(sdkError('PreconditionFailed'))).to.equal(true);
    expect(isPreconditionFailed(sdkError('ConditionalRequestConflict', 409))).to.equal(false);
    expect(isPreconditionFailed(sdkError('InternalError', 500))).to.equal(false);
    expect(isPreconditionFailed(new Error('PreconditionFailed in a message only'))).to.equal(false);
  });

  it('turns a 412 into KEY_TAKEN naming the object, retriable under the next version', async () => {
    const e = await refusedAsTaken('logs', 'veh/2026-12-07/ros/a.log.gz', () => Promise.reject(sdkError('PreconditionFailed', 412))).then(() => null, (err: unknown) => err);
    expect(e).to.be.instanceOf(TvmError);
    const t = e as TvmError;
    expect(t.code).to.equal(ErrorCodes.KEY_TAKEN);
    expect(t.message).to.equal('s3://logs/veh/2026-12-07/ros/a.log.gz already holds other content; not overwritten');
    expect(t.retriability).to.equal('retriable');
    expect(t.hint).to.equal('the file is written under the next version of its key');
    expect(t.details).to.deep.equal({ bucket: 'logs', key: 'veh/2026-12-07/ros/a.log.gz', remoteSha256: '' });
  });

  it('passes every other failure and every success through unchanged', async () => {
    const other = sdkError('SlowDown', 503);
    expect(await refusedAsTaken('b', 'k', () => Promise.reject(other)).then(() => null, (err: unknown) => err)).to.equal(other);
    expect(await refusedAsTaken('b', 'k', () => Promise.resolve(42))).to.equal(42);
  });

  it('records the other object\'s source hash when it is known', () => {
    expect(keyTaken('b', 'k', 'cd'.repeat(32)).details).to.deep.equal({ bucket: 'b', key: 'k', remoteSha256: 'cd'.repeat(32) });
  });
});
