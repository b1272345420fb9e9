import { expect } from 'chai';
import sinon from 'sinon';
import { interval, take, timer, type SchedulerAction } from 'rxjs';
import { realClock } from '../../../src/clock/clock.js';
import { clockScheduler } from '../../../src/clock/rx-scheduler.js';
import { ManualTimers } from '../../support/fakes.js';

describe('clock/rx-scheduler', () => {
  it('reports the clock\'s time as the scheduler\'s now', () => {
    const clock = new ManualTimers(5_000);
    const s = clockScheduler(clock);
    clock.advance(250);
    expect(s.now()).to.equal(5_250);
  });

  it('runs RxJS time operators on the clock: timer and interval fire as the clock steps', () => {
    const clock = new ManualTimers();
    const s = clockScheduler(clock);
    const seen: string[] = [];
    timer(1000, s).subscribe(() => seen.push('timer'));
    interval(300, s).pipe(take(3)).subscribe((n) => seen.push(`tick ${n}`));
    clock.advance(999);
    expect(seen).to.deep.equal(['tick 0', 'tick 1', 'tick 2']);
    clock.advance(1);
    expect(seen).to.deep.equal(['tick 0', 'tick 1', 'tick 2', 'timer']);
    expect(clock.scheduled).to.equal(0);
  });

  it('lets an action reschedule itself with a new state and delay, one pending timer at a time', () => {
    const clock = new ManualTimers();
    const states: number[] = [];
    clockScheduler(clock).schedule(function (this: SchedulerAction<number>, n?: number) {
      states.push(n ?? -1);
      if ((n ?? 0) < 3) this.schedule((n ?? 0) + 1, 100);
    }, 50, 0);
    clock.advance(50);
    expect(states).to.deep.equal([0]);
    expect(clock.scheduled).to.equal(1);
    clock.advance(1000);
    expect(states).to.deep.equal([0, 1, 2, 3]);
    expect(clock.scheduled).to.equal(0);
  });

  it('never runs work once unsubscribed, and a closed action cannot be rescheduled', () => {
    const clock = new ManualTimers();
    let runs = 0;
    const sub = clockScheduler(clock).schedule(() => void runs++, 100);
    sub.unsubscribe();
    expect(clock.scheduled).to.equal(0);
    (sub as unknown as SchedulerAction<void>).schedule(undefined, 10);
    clock.advance(1000);
    expect(runs).to.equal(0);
  });

  it('treats a negative delay as due now', () => {
    const clock = new ManualTimers();
    let runs = 0;
    clockScheduler(clock).schedule(() => void runs++, -5);
    clock.advance(0);
    expect(runs).to.equal(1);
  });

  it('follows sinon\'s fake timers when built over the real clock', () => {
    const fake = sinon.useFakeTimers({ now: 10_000 });
    try {
      const seen: number[] = [];
      timer(2000, clockScheduler(realClock)).subscribe(() => seen.push(realClock.now()));
      fake.tick(2000);
      expect(seen).to.deep.equal([12_000]);
    } finally {
      fake.restore();
    }
  });
});
