/**
 * The one source of time for the daemon: wall-clock `now()` (epoch ms, for timestamps, retry
 * times, schedules), `monotonic()` (ms that never jump, for rates and durations) and timers.
 * Every component that waits or reads the time takes a Clock, so tests drive it in virtual time:
 * either sinon's fake timers under `realClock` (it looks up the globals at each call) or a
 * manual clock (test/support/fakes.ts) where a test steps time by hand.
 *
 * Timers of the real clock are unref'd: a pending retry, tick or probe never keeps the process
 * alive on its own (the watchers, sockets and HTTP endpoint do while the daemon runs).
 * It knows nothing of what the timers are for; RxJS code gets a scheduler over it (rx-scheduler.ts).
 */

/** An opaque timer handle, given back to clearTimeout / clearInterval of the same clock. */
export type TimerHandle = unknown;

export interface Clock {
  /** Wall-clock time, ms since the epoch (may jump when the system clock is set). */
  now(): number;
  /** Milliseconds from an arbitrary origin that never go backwards (durations, rates). */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
};
