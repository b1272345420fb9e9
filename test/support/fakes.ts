/** Small fakes shared by unit tests: a manual clock/timer set and an in-memory dispatch queue. */
import type { Clock } from '../../src/clock/clock.js';
import type { FileRecord } from '../../src/state/types.js';

export class ManualTimers implements Clock {
  private t: number;
  private seq = 0;
  /** Wall clock minus timer time: what setWallClock moved it by (timers do not see it). */
  private wallShift = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  constructor(start = 1_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t + this.wallShift;
  }
  /**
   * Sets the wall clock (now()) by `ms`, as NTP does after boot, without moving timer time:
   * no timer fires and monotonic() does not change.
   */
  setWallClock(ms: number): void {
    this.wallShift += ms;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  /** Virtual time never jumps back, so it serves as the monotonic time too. */
  monotonic(): number {
    return this.t;
  }
  /** Re-arms itself under one handle, so clearInterval stops every later run. */
  setInterval(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    const arm = (at: number): void => {
      this.pending.set(id, {
        at,
        fn: () => {
          arm(at + ms);
          fn();
        },
      });
    };
    arm(this.t + ms);
    return id;
  }
  clearInterval(h: unknown): void {
    this.pending.delete(h as number);
  }
  get scheduled(): number {
    return this.pending.size;
  }
  /** Moves the clock forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | null = null;
      for (const e of this.pending) if (e[1].at <= end && (next === null || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.pending.delete(next[0]);
      this.t = Math.max(this.t, next[1].at);
      next[1].fn();
    }
    this.t = end;
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
