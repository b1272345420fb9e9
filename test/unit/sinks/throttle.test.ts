import { expect } from 'chai';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TvmError } from '../../../src/errors.js';
import { MIN_BURST_BYTES, Throttle } from '../../../src/sinks/throttle.js';
import { byteSource } from '../../support/byte-source.js';

/** Virtual time: timers fire only when the test advances the clock. */
class VirtualClock {
  t = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  private seq = 0;
  readonly now = (): number => this.t;
  readonly setTimeout = (fn: () => void, ms: number): void => {
    this.timers.push({ at: this.t + ms, seq: this.seq++, fn });
  };

  /** Lets promise and stream callbacks run (they use microtasks, nextTick and setImmediate). */
  static async settle(): Promise<void> {
    for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
  }

  /** Fires timers in time order until `done()` or `limitMs` of virtual time. */
  async runUntil(done: () => boolean, limitMs: number): Promise<void> {
    for (;;) {
      await VirtualClock.settle();
      if (done()) return;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (next === undefined) throw new Error(`stuck at t=${this.t}: nothing scheduled`);
      if (next.at > limitMs) throw new Error(`not done by t=${limitMs}`);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
  }

  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    for (;;) {
      await VirtualClock.settle();
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (next === undefined || next.at > until) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
    }
    this.t = until;
    await VirtualClock.settle();
  }
}

const source = byteSource;

/** Consumes `stream`, recording (virtual time, total bytes) at each chunk. */
function consume(stream: Readable, clock: VirtualClock): { samples: Array<[number, number]>; done: () => boolean; bytes: () => number } {
  const samples: Array<[number, number]> = [];
  let total = 0;
  let finished = false;
  stream.on('data', (c: Buffer) => {
    total += c.length;
    samples.push([clock.t, total]);
  });
  stream.on('end', () => (finished = true));
  return { samples, done: () => finished, bytes: () => total };
}

describe('sinks/Throttle', () => {
  it('grants bytes at the configured rate, starting from an empty bucket', async () => {
    const clock = new VirtualClock();
    const t = new Throttle({ bytesPerSecond: 100_000, clock: { monotonic: clock.now, setTimeout: clock.setTimeout } });
    let granted = false;
    void t.take(10_000).then(() => (granted = true));
    await clock.advance(99);
    expect(granted).to.equal(false);
    await clock.advance(1);
    expect(granted).to.equal(true);
  });

  it('serves waiters first come, first served', async () => {
    const clock = new VirtualClock();
    const t = new Throttle({ bytesPerSecond: 10_000, clock: { monotonic: clock.now, setTimeout: clock.setTimeout } });
    const order: string[] = [];
    void t.take(5_000).then(() => order.push('a'));
    void t.take(1_000).then(() => order.push('b'));
    void t.take(5_000).then(() => order.push('c'));
    await clock.runUntil(() => order.length === 3, 10_000);
    expect(order).to.deep.equal(['a', 'b', 'c']);
    expect(clock.t).to.be.closeTo(1100, 2);
  });

  it('holds a long transfer within ±10 % of the cap and never ahead of it', async () => {
    const clock = new VirtualClock();
    const rate = 1_000_000;
    const t = new Throttle({ bytesPerSecond: rate, clock: { monotonic: clock.now, setTimeout: clock.setTimeout } });
    const total = 8 * 1024 * 1024;
    const c = consume(t.wrap(source(total)), clock);
    await clock.runUntil(c.done, 60_000);
    expect(c.bytes()).to.equal(total);
    const seconds = clock.t / 1000;
    expect(total / seconds).to.be.within(rate * 0.9, rate * 1.1);
    for (const [ms, bytes] of c.samples) expect(bytes).to.be.at.most((rate * ms) / 1000 + t.sliceBytes);
  });

  it('shares one cap between concurrent transfers, interleaving them', async () => {
    const clock = new VirtualClock();
    const rate = 500_000;
    const t = new Throttle({ bytesPerSecond: rate, clock: { monotonic: clock.now, setTimeout: clock.setTimeout } });
    const a = consume(t.wrap(source(1_000_000)), clock);
    const b = consume(t.wrap(source(1_000_000)), clock);
    await clock.runUntil(() => a.done() && b.done(), 60_000);
    expect(clock.t).to.be.within(3_600, 4_400);
    const firstEnd = Math.min(a.samples.at(-1)![0], b.samples.at(-1)![0]);
    expect(firstEnd).to.be.above(3_000);
  });

  it('allows a burst of one second (at least 256 KiB) after being idle, not more', async () => {
    const clock = new VirtualClock();
    const t = new Throttle({ bytesPerSecond: 1_000_000, clock: { monotonic: clock.now, setTimeout: clock.setTimeout } });
    expect(t.capacity).to.equal(1_000_000);
    expect(new Throttle({ bytesPerSecond: 10_000 }).capacity).to.equal(MIN_BURST_BYTES);
    await clock.advance(10_000);
    let first = false;
    void t.take(1_000_000).then(() => (first = true));
    await VirtualClock.settle();
    expect(first).to.equal(true);
    let second = false;
    void t.take(1_000).then(() => (second = true));
    await VirtualClock.settle();
    expect(second).to.equal(false);
  });

  it('cuts chunks into slices no larger than a tenth of a second (1..64 KiB)', () => {
    expect(new Throttle({ bytesPerSecond: 100_000 }).sliceBytes).to.equal(10_000);
    expect(new Throttle({ bytesPerSecond: 1_000 }).sliceBytes).to.equal(1024);
    expect(new Throttle({ bytesPerSecond: 100_000_000 }).sliceBytes).to.equal(65536);
  });

  it('honours backpressure: nothing is read far ahead of a stalled consumer', async () => {
    const clock = new VirtualClock();
    const t = new Throttle({ bytesPerSecond: 10_000_000, clock: { monotonic: clock.now, setTimeout: clock.setTimeout } });
    const src = source(100 * 1024 * 1024);
    const wrapped = t.wrap(src);
    wrapped.pause();
    await clock.advance(5_000);
    expect(src.produced()).to.be.below(1024 * 1024);
    wrapped.destroy();
  });

  it('passes everything through unchanged and in order', async () => {
    const t = new Throttle({ bytesPerSecond: 50_000_000 });
    const input = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const out: Buffer[] = [];
    await pipeline(
      t.wrap(Readable.from([input.subarray(0, 70_000), input.subarray(70_000)])),
      new Writable({
        write(c: Buffer, _e, cb) {
          out.push(c);
          cb();
        },
      }),
    );
    expect(Buffer.concat(out).equals(input)).to.equal(true);
  });

  it('releases the source when the consumer destroys the wrapped stream', async () => {
    const t = new Throttle({ bytesPerSecond: 1_000 });
    const src = source(1_000_000);
    const wrapped = t.wrap(src);
    wrapped.destroy();
    await VirtualClock.settle();
    expect(src.destroyed).to.equal(true);
  });

  it('forwards a source error to the wrapped stream', async () => {
    const t = new Throttle({ bytesPerSecond: 1_000 });
    const src = new Readable({ read() {} });
    const wrapped = t.wrap(src);
    const seen = new Promise<Error>((resolve) => wrapped.once('error', resolve));
    src.destroy(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    expect((await seen).message).to.include('EIO');
  });

  it('is a no-op when unlimited', async () => {
    const t = new Throttle({ bytesPerSecond: null });
    const src = source(10);
    expect(t.wrap(src)).to.equal(src);
    expect(t.limited).to.equal(false);
    await t.take(1e12);
  });

  it('rejects a cap that is not a positive number', () => {
    for (const bad of [0, -5, Number.NaN, Infinity]) {
      expect(() => new Throttle({ bytesPerSecond: bad })).to.throw(TvmError, /positive/);
    }
  });
  it('applies a new cap to waiting transfers, and releases them all when the cap is lifted', async () => {
    const clock = new VirtualClock();
    const t = new Throttle({ bytesPerSecond: 1_000, clock: { monotonic: clock.now, setTimeout: clock.setTimeout } });
    let first = false;
    void t.take(1_000).then(() => (first = true));
    await clock.advance(500);
    t.setRate(10_000); // 500 bytes earned at the old rate are kept; 500 more take 50 ms now
    expect(t.bytesPerSecond).to.equal(10_000);
    expect(t.sliceBytes).to.equal(1_024);
    await clock.advance(49);
    expect(first).to.equal(false);
    await clock.advance(2);
    expect(first).to.equal(true);
    const later: string[] = [];
    void t.take(10_000).then(() => later.push('a'));
    void t.take(10_000).then(() => later.push('b'));
    t.setRate(null);
    await Promise.resolve();
    expect(later).to.deep.equal(['a', 'b']);
    expect(t.capacity).to.equal(Infinity);
    t.setRate(5_000);
    expect(t.limited).to.equal(true);
    expect(() => t.setRate(0)).to.throw(TvmError, /positive/);
  });
});
