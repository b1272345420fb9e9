import { expect } from 'chai';
import { MTIME_TOLERANCE_MS, sameMtime } from '../../../src/state/identity.js';

describe('state/identity sameMtime', () => {
  it('treats two mtimes that straddle a half-microsecond boundary as the same (rounding would split them)', () => {
    const a = 1_796_007_598_058 + 0.3262;
    const b = a + 0.0006;
    expect(Math.round(a * 1000)).to.not.equal(Math.round(b * 1000)); // the edge rounding gets wrong
    expect(sameMtime(a, b)).to.equal(true);
  });

  it('tells apart mtimes more than a microsecond apart, whichever comes first', () => {
    const a = 1_796_007_598_058.3;
    expect(sameMtime(a, a + 1.5 * MTIME_TOLERANCE_MS)).to.equal(false);
    expect(sameMtime(a + 0.002, a)).to.equal(false);
  });
});
