import { expect } from 'chai';
import { decideLink, lowestRate } from '../../../src/link/link-policy.js';
import type { LinksConfig } from '../../../src/config/types.js';

const links: LinksConfig = {
  routeFile: '/proc/net/route',
  probeCommand: null,
  probeIntervalSeconds: 10,
  interfaces: [],
  policy: {
    wifi: { minPriority: 'low', bytesPerSecond: null },
    cellular: { minPriority: 'normal', bytesPerSecond: 250_000 },
    wired: { minPriority: 'low', bytesPerSecond: null },
  },
  cellularBudgetBytesPerMonth: 1e9,
};
const base = { links, budget: 'ok' as const, maxBytesPerSecond: null, timetableRate: undefined };

describe('link/link-policy', () => {
  it('sends everything at max_mbps when no link policy is configured', () => {
    expect(decideLink({ ...base, links: undefined, link: 'cellular', maxBytesPerSecond: 1000 })).to.deep.equal({ maxPriority: 2, bytesPerSecond: 1000, restriction: null });
  });

  it('sends nothing while offline', () => {
    expect(decideLink({ ...base, link: 'offline' }).maxPriority).to.equal(null);
  });

  it('applies the link min_priority and its cap', () => {
    expect(decideLink({ ...base, link: 'cellular' })).to.deep.equal({ maxPriority: 1, bytesPerSecond: 250_000, restriction: 'cellular policy: normal and above' });
    expect(decideLink({ ...base, link: 'wifi' })).to.deep.equal({ maxPriority: 2, bytesPerSecond: null, restriction: null });
  });

  it('sends only high over cellular at 80 % of the budget and nothing at 100 %', () => {
    expect(decideLink({ ...base, link: 'cellular', budget: 'high-only' })).to.deep.include({ maxPriority: 0 });
    expect(decideLink({ ...base, link: 'cellular', budget: 'exhausted' })).to.deep.include({ maxPriority: null, restriction: 'cellular budget used up' });
    expect(decideLink({ ...base, link: 'wifi', budget: 'exhausted' })).to.deep.include({ maxPriority: 2 }); // Wi-Fi is not metered
  });

  it('takes the lowest of max_mbps, the link cap and the timetable', () => {
    expect(decideLink({ ...base, link: 'cellular', maxBytesPerSecond: 100_000 }).bytesPerSecond).to.equal(100_000);
    expect(decideLink({ ...base, link: 'cellular', timetableRate: 50_000 }).bytesPerSecond).to.equal(50_000);
    expect(decideLink({ ...base, link: 'wifi', timetableRate: null }).bytesPerSecond).to.equal(null);
    expect(lowestRate(null, undefined, 7, 3)).to.equal(3);
  });
});
