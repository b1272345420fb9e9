/** Awaiting a failure in tests: the TvmError `p` rejects (or throws) with, or a failed assertion. */
import { expect } from 'chai';
import { TvmError } from '../../src/errors.js';

export async function caughtTvmError(p: unknown): Promise<TvmError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(TvmError);
    return err as TvmError;
  }
  throw new Error('expected a TvmError, but nothing failed');
}
