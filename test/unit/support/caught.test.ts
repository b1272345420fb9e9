import { expect } from 'chai';
import { ConfigError, ErrorCodes, TvmError } from '../../../src/errors.js';
import { caught } from '../../support/caught.js';

const tvm = (): TvmError => new TvmError(ErrorCodes.INTERNAL, 'boom', { retriability: 'permanent' });

describe('test support: caught()', () => {
  it('returns what a call throws, at once', () => {
    const err = caught(() => {
      throw tvm();
    });
    expect(err.message).to.equal('boom');
  });

  it('awaits the rejection of a promise, or of the promise a call returns', async () => {
    expect((await caught(Promise.reject(tvm()))).message).to.equal('boom');
    expect((await caught(async () => Promise.reject(tvm()))).message).to.equal('boom');
  });

  it('checks the class it is given', () => {
    const err = caught(() => {
      throw new ConfigError(['x: bad']);
    }, ConfigError);
    expect(err.problems).to.deep.equal(['x: bad']);
  });

  it('fails the test when nothing failed or the error is of another class', async () => {
    expect(() => caught(() => 1)).to.throw(/expected a TvmError, but nothing failed/);
    expect(() =>
      caught(() => {
        throw new Error('plain');
      }),
    ).to.throw(/instance of TvmError/);
    let unmet: unknown = null;
    await caught(Promise.resolve(1)).catch((e: unknown) => (unmet = e));
    expect(String(unmet)).to.match(/nothing failed/);
  });
});
