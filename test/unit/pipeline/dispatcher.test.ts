import { expect } from 'chai';
import { Dispatcher, REJECTED_JOB_RETRY_MS } from '../../../src/pipeline/dispatcher.js';
import { stateRetryDelayMs } from '../../../src/sinks/retry.js';
import { UploadGate } from '../../../src/schedule/upload-gate.js';
import type { FileRecord } from '../../../src/state/types.js';
import { Health } from '../../../src/telemetry/health.js';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { FakeQueue, ManualTimers, record } from '../../support/fakes.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

function setup(o: { concurrency?: number; uploadOnStart?: boolean; startedAt?: number; health?: Health } = {}) {
  const timers = new ManualTimers();
  const queue = new FakeQueue();
  const gate = new UploadGate(
    { operationalHours: { enabled: false, start: 0, end: 0 }, schedule: { mode: 'interval', intervalMinutes: 60 }, uploadOnStart: o.uploadOnStart ?? true, batchUpload: { enabled: true } },
    o.startedAt ?? timers.now(),
  );
  const running = new Map<number, { resolve: () => void; reject: (e: unknown) => void; signal: AbortSignal }>();
  const started: number[] = [];
  const errors: unknown[] = [];
  const job = (r: FileRecord, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      started.push(r.id);
      running.set(r.id, {
        resolve: () => {
          queue.set(r.id, { status: 'uploaded' });
          resolve();
        },
        reject,
        signal,
      });
      signal.addEventListener('abort', () => {
        queue.release(r.id);
        reject(new Error('aborted'));
      });
    });
  const d = new Dispatcher({ queue, gate, concurrency: o.concurrency ?? 2, job, timers, onError: (e) => errors.push(e), ...(o.health ? { health: o.health } : {}) });
  return { timers, queue, gate, d, running, started, errors };
}

describe('pipeline/dispatcher', () => {
  it('never runs more jobs than its concurrency, however long the queue', async () => {
    const s = setup({ concurrency: 2 });
    for (let i = 1; i <= 50; i++) s.queue.add(record(i));
    s.d.wake();
    expect(s.started).to.deep.equal([1, 2]);
    expect(s.d.active).to.equal(2);
    expect(s.queue.claims).to.equal(2);
  });

  it('pulls the next file only when a slot frees', async () => {
    const s = setup({ concurrency: 2 });
    for (let i = 1; i <= 5; i++) s.queue.add(record(i));
    s.d.wake();
    s.running.get(1)!.resolve();
    await flush();
    expect(s.started).to.deep.equal([1, 2, 3]);
  });

  it('drains a queue completely, oldest first', async () => {
    const s = setup({ concurrency: 3 });
    for (let i = 1; i <= 10; i++) s.queue.add(record(i, { queuedAt: 100 - i }));
    s.d.wake();
    for (let round = 0; round < 10; round++) {
      for (const [id, r] of s.running) {
        s.running.delete(id);
        r.resolve();
      }
      await flush();
    }
    expect(s.started).to.deep.equal([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    await s.d.whenIdle();
  });

  it('sleeps until the earliest retry time, then picks the file up', async () => {
    const s = setup();
    s.queue.add(record(1, { nextAttemptAt: s.timers.now() + 30_000 }));
    s.d.wake();
    expect(s.started).to.deep.equal([]);
    s.timers.advance(29_999);
    expect(s.started).to.deep.equal([]);
    s.timers.advance(1);
    expect(s.started).to.deep.equal([1]);
  });

  it('reports a job that throws and keeps going', async () => {
    const s = setup({ concurrency: 1 });
    s.queue.add(record(1));
    s.queue.add(record(2));
    s.d.wake();
    s.running.get(1)!.reject(new Error('boom'));
    await flush();
    expect(s.errors).to.have.length(1);
    expect(s.started).to.deep.equal([1, 2]);
  });

  it('puts the row of a job that threw back in the queue after a minute, not at once and not never', async () => {
    const s = setup({ concurrency: 1 });
    s.queue.add(record(1));
    s.d.wake();
    s.running.get(1)!.reject(new Error('SQLITE_FULL: database or disk is full'));
    await flush();
    expect(s.queue.get(1)!.status).to.equal('in_flight');
    expect(s.started).to.deep.equal([1]);
    s.timers.advance(REJECTED_JOB_RETRY_MS);
    expect(s.started).to.deep.equal([1, 1]);
  });

  it('survives a state store that refuses reads: degraded, retried with backoff, recovered by itself', async () => {
    const health = new Health();
    const s = setup({ concurrency: 1, health });
    s.queue.add(record(1));
    const real = s.queue.claimNext.bind(s.queue);
    let broken = true;
    let attempts = 0;
    s.queue.claimNext = (now, o) => {
      attempts++;
      if (broken) throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, 'SQLITE_IOERR: disk I/O error');
      return real(now, o);
    };
    expect(() => s.d.wake()).not.to.throw();
    expect(health.reasons().map((r) => r.key)).to.deep.equal(['dispatch']);
    expect(health.reasons()[0]!.message).to.include('SQLITE_IOERR');
    s.d.wake(); // a wake during the backoff does not hammer the store
    expect(attempts).to.equal(1);
    s.timers.advance(stateRetryDelayMs(1));
    expect(attempts).to.equal(2);
    s.timers.advance(stateRetryDelayMs(2) - 1);
    expect(attempts).to.equal(2);
    broken = false;
    s.timers.advance(1);
    expect(s.started).to.deep.equal([1]);
    expect(health.degraded).to.equal(false);
  });

  it('caps the backoff at a minute', () => {
    expect([1, 2, 3, 7, 100].map(stateRetryDelayMs)).to.deep.equal([1000, 2000, 4000, 60_000, 60_000]);
  });

  it('holds files queued before start-up when upload_on_start is false', async () => {
    const s = setup({ uploadOnStart: false, startedAt: 50 });
    s.queue.add(record(1, { queuedAt: 10 }));
    s.queue.add(record(2, { queuedAt: 60 }));
    s.d.wake();
    expect(s.started).to.deep.equal([2]);
    s.gate.triggerPass();
    s.d.wake();
    expect(s.started).to.deep.equal([2, 1]);
  });

  it('close() waits for running jobs and pulls nothing new', async () => {
    const s = setup({ concurrency: 1 });
    s.queue.add(record(1));
    s.queue.add(record(2));
    s.d.wake();
    const closed = s.d.close(10_000);
    s.running.get(1)!.resolve();
    expect(await closed).to.equal(0);
    expect(s.started).to.deep.equal([1]);
    s.d.wake();
    expect(s.started).to.deep.equal([1]);
    expect(await s.d.close(10)).to.equal(0);
  });

  it('close() aborts jobs still running at the deadline, returning them to the queue', async () => {
    const s = setup({ concurrency: 2 });
    s.queue.add(record(1));
    s.queue.add(record(2));
    s.d.wake();
    const closed = s.d.close(5000);
    s.timers.advance(5000);
    expect(await closed).to.equal(2);
    expect(s.queue.get(1)!.status).to.equal('queued');
    expect(s.queue.get(2)!.status).to.equal('queued');
  });

  it('resolves whenIdle at once when there is nothing to do', async () => {
    const s = setup();
    let idle = false;
    void s.d.whenIdle().then(() => (idle = true));
    await flush();
    expect(idle).to.equal(true);
  });

  it('resolves whenIdle only after the last running job and the queue behind it are done', async () => {
    const s = setup({ concurrency: 1 });
    s.queue.add(record(1));
    s.queue.add(record(2));
    s.d.wake();
    let idle = false;
    void s.d.whenIdle().then(() => (idle = true));
    s.running.get(1)!.resolve();
    await flush();
    expect(idle, 'file 2 was still waiting').to.equal(false);
    expect(s.started).to.deep.equal([1, 2]);
    s.running.get(2)!.resolve();
    await flush();
    expect(idle).to.equal(true);
    expect(s.d.active).to.equal(0);
  });
});

describe('pipeline/dispatcher timers', () => {
  it('looks again soon when a retry is due but its timer fired a moment early', async () => {
    // Real timers fire up to a millisecond before Date.now() reaches their target, and the clock
    // moves between two reads: this clock alternates by 1 ms per read and fires timers 1 ms early.
    class DriftingTimers extends ManualTimers {
      private odd = false;
      override now(): number {
        this.odd = !this.odd;
        return super.now() + (this.odd ? 0 : 1);
      }
      override setTimeout(fn: () => void, ms: number): unknown {
        return super.setTimeout(fn, ms > 1 ? ms - 1 : ms);
      }
    }
    const timers = new DriftingTimers();
    const queue = new FakeQueue();
    const gate = new UploadGate({ operationalHours: { enabled: false, start: 0, end: 0 }, schedule: { mode: 'interval', intervalMinutes: 600 }, uploadOnStart: true, batchUpload: { enabled: true } }, timers.now());
    const started: number[] = [];
    const d = new Dispatcher({ queue, gate, concurrency: 1, job: async (r) => void started.push(r.id), timers, onError: () => undefined });
    queue.add(record(1, { nextAttemptAt: timers.now() + 1000 }));
    d.wake();
    timers.advance(1005);
    expect(started).to.deep.equal([1]);
  });

  it('does not spin while the gate is closed, even with due retries', async () => {
    const timers = new ManualTimers();
    const queue = new FakeQueue();
    queue.add(record(1));
    const gate = new UploadGate(
      { operationalHours: { enabled: true, start: 0, end: 1 }, schedule: { mode: 'interval', intervalMinutes: 600 }, uploadOnStart: false, batchUpload: { enabled: true } },
      timers.now(),
    );
    const d = new Dispatcher({ queue, gate, concurrency: 1, job: async () => undefined, timers, onError: () => undefined });
    d.wake();
    timers.advance(10_000);
    expect(queue.claims).to.equal(0);
    expect(timers.scheduled).to.equal(1);
  });
});
