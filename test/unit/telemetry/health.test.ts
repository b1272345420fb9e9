import { expect } from 'chai';
import { Health } from '../../../src/telemetry/health.js';

describe('telemetry/health', () => {
  it('is healthy until a reason is recorded, and again once every reason recovered', () => {
    let t = 1000;
    const h = new Health(() => t);
    expect(h.degraded).to.equal(false);
    expect(h.degrade('state', 'SQLITE_FULL')).to.equal(true);
    t = 2000;
    h.degrade('disk', 'spool full');
    expect(h.degraded).to.equal(true);
    expect(h.reasons().map((r) => r.key)).to.deep.equal(['state', 'disk']);
    expect(h.recover('state')).to.equal(true);
    expect(h.degraded).to.equal(true);
    expect(h.recover('disk')).to.equal(true);
    expect(h.degraded).to.equal(false);
    expect(h.recover('disk')).to.equal(false);
  });

  it('tells listeners once per transition, not once per repeated failure', () => {
    const h = new Health(() => 5);
    const seen: string[] = [];
    h.onChange((c) => seen.push(`${c.kind}:${c.reason.key}:${c.reason.message}`));
    h.degrade('state', 'SQLITE_BUSY');
    h.degrade('state', 'SQLITE_FULL');
    h.degrade('state', 'SQLITE_FULL');
    h.recover('state');
    expect(seen).to.deep.equal(['degraded:state:SQLITE_BUSY', 'recovered:state:SQLITE_FULL']);
  });

  it('keeps the first time of a reason and the latest message', () => {
    let t = 10;
    const h = new Health(() => t);
    h.degrade('state', 'first');
    t = 20;
    h.degrade('state', 'second');
    expect(h.reasons()).to.deep.equal([{ key: 'state', message: 'second', since: 10 }]);
  });

  it('records health even when a listener throws', () => {
    const h = new Health();
    h.onChange(() => {
      throw new Error('listener bug');
    });
    expect(h.degrade('x', 'y')).to.equal(true);
    expect(h.degraded).to.equal(true);
  });
});
