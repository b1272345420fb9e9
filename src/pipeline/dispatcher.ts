/**
 * Pulls work from the durable queue only when a slot is free: the queue in SQLite is the buffer,
 * so memory stays bounded (one record per slot) whatever the backlog. It wakes when a file is
 * queued, when a job finishes, when a retry comes due, and when the upload gate may open.
 *
 *   durable queue ──claimNext() when inFlight < concurrency──► job(record) ──► done/failed
 *         ▲                                                         │
 *         └──────────────── wake() (new file, job end, timer) ◄─────┘
 *
 * It knows nothing of compression or S3: the job function does that and records its own outcome.
 * close(deadline) stops pulling and waits for running jobs; past the deadline it aborts them
 * (their rows go back to the queue and multipart progress is kept, so they resume on restart).
 *
 * A state store that cannot be read or written (SQLITE_FULL, IOERR, BUSY …) never stops it: the
 * failing pass is retried with capped backoff, Health says `dispatch` is degraded meanwhile, and
 * the first pass that works clears it. A job that failed to record its own outcome (the store
 * refused its write, or a bug) has its row put back in the queue after REJECTED_JOB_RETRY_MS, so
 * it is neither stuck in flight until a restart nor retried in a tight loop.
 */
import type { FileRecord } from '../state/types.js';
import type { UploadGate } from '../schedule/upload-gate.js';
import type { Health } from '../telemetry/health.js';
import type { PriorityRank } from '../priority/priority.js';
import { realClock, type Clock } from '../clock/clock.js';
import { stateRetryDelayMs } from '../sinks/retry.js';

export interface DispatchQueue {
  claimNext(
    now: number,
    options: { exclude: ReadonlySet<string>; queuedSince: number | null; maxPriority?: PriorityRank },
  ): FileRecord | null;
  nextWakeAt(): number | null;
  release(id: number): void;
}

/** What the dispatcher runs for each claimed row (the upload job, pipeline/upload-job.ts); it records its own outcome. */
export type FileTask = (record: FileRecord, signal: AbortSignal) => Promise<void>;

export interface DispatcherOptions {
  readonly queue: DispatchQueue;
  readonly gate: UploadGate;
  readonly concurrency: number;
  readonly job: FileTask;
  readonly timers?: Clock;
  readonly onError: (err: unknown, record: FileRecord) => void;
  /**
   * The least urgent priority that may be sent now (the link policy), or null = nothing may.
   * Absent = everything. Whoever changes the answer calls wake().
   */
  readonly admit?: () => PriorityRank | null;
  readonly health?: Health;
}

/** How long the row of a job that threw waits before it goes back to the queue. */
export const REJECTED_JOB_RETRY_MS = 60_000;

/** Longest sleep between looks at the queue even when nothing is due (clock jumps, missed wakes). */
const MAX_SLEEP_MS = 60_000;

export class Dispatcher {
  private readonly inFlight = new Map<string, { record: FileRecord; abort: AbortController; done: Promise<void> }>();
  private readonly timers: Clock;
  private timer: unknown = null;
  private timerAt = Infinity;
  private closing = false;
  private pumping = false;
  private idleWaiters: Array<() => void> = [];
  /** Consecutive passes that failed on the state store, and when to try again. */
  private failures = 0;
  private retryAt = 0;
  /** Rows of jobs that threw → when to put them back in the queue (one entry per such row). */
  private readonly parked = new Map<number, number>();

  constructor(private readonly o: DispatcherOptions) {
    this.timers = o.timers ?? realClock;
  }

  get active(): number {
    return this.inFlight.size;
  }

  /** Something may have become eligible: look at the queue now. */
  wake(): void {
    if (this.closing) return;
    this.pump();
  }

  /**
   * Interrupts the jobs `admit` no longer allows (the link policy tightened): their rows go back
   * to the queue without counting an attempt, multipart progress kept, and they resume when the
   * policy allows again. Returns how many were interrupted.
   */
  revoke(reason: string): number {
    const max = this.o.admit?.();
    if (max === undefined) return 0;
    let n = 0;
    for (const f of this.inFlight.values()) {
      if (f.abort.signal.aborted || (max !== null && (f.record.priority ?? 1) <= max)) continue;
      f.abort.abort(new Error(reason));
      n++;
    }
    return n;
  }

  /** Resolves when nothing is in flight and nothing eligible is left (tests, upload-now). */
  whenIdle(): Promise<void> {
    if (this.inFlight.size === 0 && !this.hasEligible()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private hasEligible(): boolean {
    const next = this.o.queue.nextWakeAt();
    return next !== null && next <= this.timers.now() && this.o.gate.allows(this.timers.now()).allowed;
  }

  private pump(): void {
    if (this.pumping) return; // re-entrant wake from a synchronous job completion
    this.pumping = true;
    try {
      this.pass();
    } catch (err) {
      this.stateFailed(err);
    } finally {
      this.pumping = false;
    }
    this.armTimer();
    if (this.inFlight.size === 0 && !this.closing) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** One look at the queue: start jobs while slots are free. Throws what the state store throws. */
  private pass(): void {
    if (this.failures > 0 && this.timers.now() < this.retryAt) return;
    for (const [id, at] of this.parked) {
      if (at > this.timers.now()) continue;
      this.o.queue.release(id);
      this.parked.delete(id);
    }
    while (!this.closing && this.inFlight.size < this.o.concurrency) {
      const now = this.timers.now();
      const decision = this.o.gate.allows(now);
      if (!decision.allowed) break;
      const maxPriority = this.o.admit?.();
      if (maxPriority === null) break;
      const record = this.o.queue.claimNext(now, {
        exclude: new Set(this.inFlight.keys()),
        queuedSince: decision.queuedSince,
        ...(maxPriority === undefined ? {} : { maxPriority }),
      });
      if (!record) {
        if (this.inFlight.size === 0) this.o.gate.queueDrained();
        break;
      }
      this.start(record);
    }
    if (this.failures > 0) {
      this.failures = 0;
      this.o.health?.recover('dispatch');
    }
  }

  private stateFailed(err: unknown): void {
    this.failures++;
    this.retryAt = this.timers.now() + stateRetryDelayMs(this.failures);
    const msg = err instanceof Error ? err.message : String(err);
    this.o.health?.degrade('dispatch', `the upload queue cannot be read or written (${msg})`);
  }

  private start(record: FileRecord): void {
    const abort = new AbortController();
    let running: Promise<void>;
    try {
      running = this.o.job(record, abort.signal);
    } catch (err) {
      running = Promise.reject(err);
    }
    const done = running
      .catch((err: unknown) => {
        this.o.onError(err, record);
        this.parked.set(record.id, this.timers.now() + REJECTED_JOB_RETRY_MS);
      })
      .finally(() => {
        this.inFlight.delete(record.path);
        if (!this.closing) this.pump();
        else this.notifyClosed();
      });
    this.inFlight.set(record.path, { record, abort, done });
  }

  private armTimer(): void {
    if (this.closing) return;
    if (this.inFlight.size >= this.o.concurrency) return; // a finishing job will pump
    const now = this.timers.now();
    if (this.failures > 0) return this.setTimer(Math.max(this.retryAt, now + 1), now);
    let at = Math.min(now + MAX_SLEEP_MS, this.o.gate.nextChangeAt(now), ...this.parked.values());
    if (this.o.gate.allows(now).allowed) {
      // A retry that is due (or due within the millisecond: timers may fire a little before
      // Date.now() reaches their target) is looked at again on the next tick, never after the
      // long sleep. It can only be due-but-unclaimed briefly, while its previous job unwinds.
      const retryAt = this.o.queue.nextWakeAt();
      if (retryAt !== null) at = Math.min(at, Math.max(retryAt, now + 1));
    }
    this.setTimer(at, now);
  }

  private setTimer(at: number, now: number): void {
    if (this.timer !== null && this.timerAt <= at && this.timerAt > now) return;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(0, at - now));
  }

  private closeWaiters: Array<() => void> = [];
  private notifyClosed(): void {
    if (this.inFlight.size === 0) {
      const w = this.closeWaiters;
      this.closeWaiters = [];
      for (const f of w) f();
    }
  }

  /**
   * Stops pulling new work and waits up to `deadlineMs` for running jobs; then aborts the rest.
   * Resolves with the number of jobs that had to be aborted. Idempotent.
   */
  async close(deadlineMs: number): Promise<number> {
    this.closing = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    if (this.inFlight.size === 0) return 0;
    const drained = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    let timedOut = false;
    await Promise.race([
      drained,
      new Promise<void>((resolve) =>
        this.timers.setTimeout(() => {
          timedOut = true;
          resolve();
        }, deadlineMs),
      ),
    ]);
    if (!timedOut) return 0;
    const aborted = this.inFlight.size;
    for (const f of this.inFlight.values()) f.abort.abort(new Error('shutdown deadline'));
    await Promise.allSettled([...this.inFlight.values()].map((f) => f.done));
    return aborted;
  }
}
