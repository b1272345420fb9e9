import { expect } from 'chai';
import sinon from 'sinon';
import { realClock } from '../../../src/clock/clock.js';

describe('clock/realClock', () => {
  let fake: sinon.SinonFakeTimers;
  beforeEach(() => {
    fake = sinon.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => fake.restore());

  it('reads the wall clock at each call, so a test clock set later is what it reports', () => {
    expect(realClock.now()).to.equal(1_700_000_000_000);
    fake.setSystemTime(1_800_000_000_000);
    expect(realClock.now()).to.equal(1_800_000_000_000);
  });

  it('keeps monotonic time going forward when the wall clock is set back', () => {
    const before = realClock.monotonic();
    fake.tick(500);
    fake.setSystemTime(1_000);
    expect(realClock.monotonic() - before).to.equal(500);
  });

  it('fires a timeout once when due, and never once cleared', () => {
    const fired: string[] = [];
    realClock.setTimeout(() => fired.push('a'), 1000);
    const b = realClock.setTimeout(() => fired.push('b'), 1000);
    realClock.clearTimeout(b);
    fake.tick(999);
    expect(fired).to.deep.equal([]);
    fake.tick(5000);
    expect(fired).to.deep.equal(['a']);
  });

  it('repeats an interval until it is cleared', () => {
    let runs = 0;
    const h = realClock.setInterval(() => runs++, 100);
    fake.tick(350);
    expect(runs).to.equal(3);
    realClock.clearInterval(h);
    fake.tick(1000);
    expect(runs).to.equal(3);
  });
});

describe('clock/realClock on the real timers', () => {
  it('never keeps the process alive with a pending timer (retries and ticks are unref\'d)', () => {
    const t = realClock.setTimeout(() => undefined, 60_000) as NodeJS.Timeout;
    const i = realClock.setInterval(() => undefined, 60_000) as NodeJS.Timeout;
    expect([t.hasRef(), i.hasRef()]).to.deep.equal([false, false]);
    realClock.clearTimeout(t);
    realClock.clearInterval(i);
  });
});
