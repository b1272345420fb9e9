/**
 * An RxJS scheduler over a Clock, for the operators that need one (stabilize's timers, intake's
 * rescan loop): RxJS time then follows the daemon's clock, and a test that steps the clock steps
 * the operators too. Only what SchedulerLike asks for: `now()` and `schedule()` with actions that
 * may reschedule themselves (`this.schedule(state, delay)` inside the work), each action at most
 * one pending timer.
 */
import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';
import type { Clock, TimerHandle } from './clock.js';

class ClockAction<T> extends Subscription implements SchedulerAction<T> {
  private handle: TimerHandle = null;

  constructor(
    private readonly clock: Clock,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
    this.add(() => this.cancel());
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.cancel();
    this.handle = this.clock.setTimeout(() => {
      this.handle = null;
      if (!this.closed) this.work.call(this, state);
    }, Math.max(0, delay));
    return this;
  }

  private cancel(): void {
    if (this.handle === null) return;
    this.clock.clearTimeout(this.handle);
    this.handle = null;
  }
}

export function clockScheduler(clock: Clock): SchedulerLike {
  return {
    now: () => clock.now(),
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      return new ClockAction<T>(clock, work).schedule(state, delay);
    },
  };
}
