/** Small fakes shared by unit tests: a manual clock/timer set and an in-memory dispatch queue. */
import { createClock } from '@sinonjs/fake-timers';
import type { Clock } from '../../src/clock/clock.js';

type FakeClock = ReturnType<typeof createClock>;
type FakeTimerId = Parameters<FakeClock['clearTimeout']>[0];
import type { FileRecord } from '../../src/state/types.js';

/**
 * A Clock in virtual time for unit tests: sinon's fake timers (@sinonjs/fake-timers' createClock,
 * the same engine as `sinon.useFakeTimers`) without installing them over the process's globals, so
 * the code under test gets its time only through the Clock it is given. Wall time (now()) starts at
 * `start`; monotonic() starts there too and moves only with advance(), never with setWallClock().
 */
export class ManualTimers implements Clock {
  private readonly clock: FakeClock;
  private readonly origin: number;
  constructor(start = 1_000_000) {
    // A day advanced under a 1 s interval fires 86,400 timers in one call: no loop limit in practice.
    this.clock = createClock(start, 10_000_000);
    this.origin = start;
  }
  now(): number {
    return this.clock.now;
  }
  /**
   * Sets the wall clock (now()) by `ms`, as NTP does after boot, without moving timer time:
   * no timer fires and monotonic() does not change.
   */
  setWallClock(ms: number): void {
    this.clock.setSystemTime(this.clock.now + ms);
  }
  setTimeout(fn: () => void, ms: number): unknown {
    return this.clock.setTimeout(fn, ms);
  }
  clearTimeout(h: unknown): void {
    this.clock.clearTimeout(h as FakeTimerId);
  }
  /** Virtual time never jumps back, so it serves as the monotonic time too. */
  monotonic(): number {
    return this.origin + this.clock.performance.now();
  }
  setInterval(fn: () => void, ms: number): unknown {
    return this.clock.setInterval(fn, ms);
  }
  clearInterval(h: unknown): void {
    this.clock.clearInterval(h as FakeTimerId);
  }
  get scheduled(): number {
    return this.clock.countTimers();
  }
  /** Moves the clock forward, firing due timers in order. */
  advance(ms: number): void {
    this.clock.tick(ms);
  }
}

export function record(id: number, over: Partial<FileRecord> = {}): FileRecord {
  return {
    id,
    path: `/logs/f${id}.log`,
    source: 'ros',
    relPath: `f${id}.log`,
    size: 10,
    mtimeMs: 1000,
    status: 'queued',
    attempts: 0,
    nextAttemptAt: 0,
    lastError: null,
    lastErrorCode: null,
    contentSha256: null,
    objectKey: null,
    uploadedAt: null,
    queuedAt: id,
    verifyRemote: false,
    ...over,
  };
}

/** An in-memory queue with the dispatcher's contract: oldest first, next_attempt_at honoured. */
export class FakeQueue {
  rows: FileRecord[] = [];
  claims = 0;
  add(r: FileRecord): void {
    this.rows.push(r);
  }
  claimNext(now: number, o: { exclude: ReadonlySet<string>; queuedSince: number | null }): FileRecord | null {
    const r = this.rows
      .filter((x) => x.status === 'queued' && x.nextAttemptAt <= now && !o.exclude.has(x.path) && (o.queuedSince === null || x.queuedAt >= o.queuedSince))
      .sort((a, b) => a.queuedAt - b.queuedAt)[0];
    if (!r) return null;
    this.claims++;
    this.set(r.id, { status: 'in_flight' });
    return this.rows.find((x) => x.id === r.id) ?? null;
  }
  nextWakeAt(): number | null {
    const q = this.rows.filter((x) => x.status === 'queued');
    return q.length ? Math.min(...q.map((x) => x.nextAttemptAt)) : null;
  }
  release(id: number): void {
    this.set(id, { status: 'queued' });
  }
  set(id: number, patch: Partial<FileRecord>): void {
    this.rows = this.rows.map((x) => (x.id === id ? { ...x, ...patch } : x));
  }
  get(id: number): FileRecord | undefined {
    return this.rows.find((x) => x.id === id);
  }
}
