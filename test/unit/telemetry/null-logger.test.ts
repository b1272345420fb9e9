import { expect } from 'chai';
import { nullLogger } from '../../../src/telemetry/null-logger.js';

describe('telemetry/nullLogger', () => {
  it('drops lines at every level, says no level is enabled, and is its own child', () => {
    const l = nullLogger();
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) expect(l[level]({ a: 1 }, 'm')).to.equal(undefined);
    expect(l.isLevelEnabled('error')).to.equal(false);
    expect(l.level).to.equal('silent');
    expect(l.child({ x: 1 })).to.equal(l);
  });
});
