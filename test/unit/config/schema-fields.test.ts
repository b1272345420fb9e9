import { expect } from 'chai';
import { boundsRule } from '../../../src/config/schema-fields.js';
import { knownKeysFrom } from '../../../src/config/issues.js';

describe('config/schema-fields', () => {
  it('names the bound a number breaks', () => {
    expect(boundsRule(5, { min: 0 })).to.equal(null);
    expect(boundsRule(-1, { min: 0 })).to.equal('must be >= 0');
    expect(boundsRule(0, { gt: 0 })).to.equal('must be > 0');
    expect(boundsRule(11, { max: 10 })).to.equal('must be <= 10');
    expect(boundsRule(10, { lt: 10 })).to.equal('must be < 10');
    expect(boundsRule(2, { gt: 0, max: 1 })).to.equal('must be <= 1');
    expect(boundsRule(1, { gt: 0, lt: 1 })).to.equal('must be strictly between 0 and 1');
    expect(boundsRule(0, { min: 1, max: 64 })).to.equal('is out of range 1..64');
    expect(boundsRule(1.5, { int: true, min: 1, max: 64 })).to.equal('is not a whole number');
  });

  it('lets 0 through when it means "off"', () => {
    expect(boundsRule(0, { min: 10, max: 100, orZero: true })).to.equal(null);
    expect(boundsRule(5, { min: 10, max: 100, orZero: true })).to.equal('must be 0 (off) or in 10..100');
  });

  it('reads the known-key list of an unknown-key message, and nothing from anything else', () => {
    expect(knownKeysFrom('["a","b",3]')).to.deep.equal(['a', 'b']);
    expect(knownKeysFrom('{"a":1}')).to.deep.equal([]);
    expect(knownKeysFrom('Unrecognized key: "x"')).to.deep.equal([]);
  });
});
