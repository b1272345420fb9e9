/**
 * The upload bandwidth cap: one token bucket shared by every transfer (single PUTs and all
 * parts), so `upload.bandwidth.max_bytes_per_second` bounds the vehicle's total upload rate.
 * `wrap(stream)` returns a stream that releases bytes only as tokens allow; it honours
 * backpressure (nothing is read ahead beyond the usual stream buffers).
 *
 * - Burst capacity: 1 s worth of bytes or 256 KiB, whichever is larger. The bucket starts
 *   empty, so the cap also holds right after start-up.
 * - Chunks are cut into slices of at most 1/10 s worth (1 KiB..64 KiB): a slice never exceeds
 *   the capacity, waiting transfers take turns (FIFO) at a fine grain, and no socket sits idle
 *   long enough to hit the client's 60 s inactivity timeout.
 * - Time comes from the injected Clock (its monotonic time and timers), so tests run in virtual time.
 * - `setRate` (a configuration reload) changes the cap for the next slice of every transfer;
 *   a stream wrapped while unlimited stays unlimited until its transfer ends.
 */
import { Readable, Transform } from 'node:stream';
import { ErrorCodes, TvmError } from '../errors.js';
import type { TransferObserver } from './transfer-watch.js';
import { realClock, type Clock } from '../clock/clock.js';

export interface ThrottleOptions {
  /** Cap in bytes per second; null = unlimited (wrap is then a no-op). */
  readonly bytesPerSecond: number | null;
  /** Rates are measured on its monotonic time. Default: the real clock. */
  readonly clock?: Pick<Clock, 'monotonic' | 'setTimeout'>;
}

export const MIN_BURST_BYTES = 256 * 1024;
const MIN_SLICE = 1024;
const MAX_SLICE = 64 * 1024;

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
}

export class Throttle {
  /**
   * Watches every body that passes this throttle (bytes metered, stalls aborted); set by the
   * daemon, null = nothing watches. Here because the throttle is what every transfer shares.
   */
  observer: TransferObserver | null = null;
  #rate: number | null = null;
  #capacity = Infinity;
  #slice = MAX_SLICE;
  private readonly clock: Pick<Clock, 'monotonic' | 'setTimeout'>;
  private tokens = 0;
  private last: number;
  private readonly waiters: Waiter[] = [];
  private timerArmed = false;
  /** Bumped by setRate: a timer armed for the old rate no longer counts. */
  private timerGeneration = 0;

  constructor(options: ThrottleOptions) {
    this.configure(options.bytesPerSecond);
    this.clock = options.clock ?? realClock;
    this.last = this.clock.monotonic();
  }

  get bytesPerSecond(): number | null {
    return this.#rate;
  }

  get capacity(): number {
    return this.#capacity;
  }

  get sliceBytes(): number {
    return this.#slice;
  }

  /** A new cap (configuration reload); null lifts it and releases every waiting transfer. */
  setRate(bytesPerSecond: number | null): void {
    if (this.#rate !== null) this.refill(); // tokens earned at the old rate are kept
    this.configure(bytesPerSecond);
    this.last = this.clock.monotonic();
    this.tokens = Math.min(this.tokens, this.#capacity);
    this.timerGeneration++;
    this.timerArmed = false;
    if (bytesPerSecond === null) {
      for (const w of this.waiters.splice(0)) w.resolve();
      return;
    }
    this.pump();
  }

  private configure(rate: number | null): void {
    if (rate !== null && !(Number.isFinite(rate) && rate > 0)) {
      throw new TvmError(ErrorCodes.INTERNAL, `bandwidth cap must be a positive number of bytes per second, got ${rate}`, {
        retriability: 'permanent',
      });
    }
    this.#rate = rate;
    this.#capacity = rate === null ? Infinity : Math.max(rate, MIN_BURST_BYTES);
    this.#slice = rate === null ? MAX_SLICE : Math.min(MAX_SLICE, Math.max(MIN_SLICE, Math.floor(rate / 10)));
  }

  get limited(): boolean {
    return this.bytesPerSecond !== null;
  }

  /** Resolves once `bytes` (≤ sliceBytes for fairness; at most capacity) may be sent. FIFO. */
  take(bytes: number): Promise<void> {
    if (this.bytesPerSecond === null || bytes <= 0) return Promise.resolve();
    const n = Math.min(bytes, this.capacity);
    return new Promise<void>((resolve) => {
      this.waiters.push({ bytes: n, resolve });
      this.pump();
    });
  }

  /** A stream that yields `source`'s bytes no faster than the cap; `source` itself when unlimited. */
  wrap(source: Readable): Readable {
    if (this.bytesPerSecond === null) return source;
    const slice = this.sliceBytes;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the Transform callbacks need both `this`es
    const throttle = this;
    const out = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        const run = async (): Promise<void> => {
          for (let off = 0; off < chunk.length; off += slice) {
            const piece = chunk.subarray(off, Math.min(chunk.length, off + slice));
            await throttle.take(piece.length);
            if (this.destroyed) return;
            this.push(piece);
          }
        };
        run().then(() => callback(), callback);
      },
    });
    source.once('error', (err) => out.destroy(err));
    // The consumer may give up early (aborted request): release the file descriptor.
    out.once('close', () => {
      if (!source.destroyed) source.destroy();
    });
    source.pipe(out);
    return out;
  }

  private refill(): void {
    const t = this.clock.monotonic();
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * (this.bytesPerSecond as number)) / 1000);
  }

  private pump(): void {
    this.refill();
    while (this.waiters.length > 0 && this.tokens >= this.waiters[0]!.bytes) {
      const w = this.waiters.shift()!;
      this.tokens -= w.bytes;
      w.resolve();
    }
    if (this.waiters.length === 0 || this.timerArmed) return;
    const missing = this.waiters[0]!.bytes - this.tokens;
    const waitMs = Math.max(1, Math.ceil((missing * 1000) / (this.bytesPerSecond as number)));
    this.timerArmed = true;
    const generation = this.timerGeneration;
    this.clock.setTimeout(() => {
      if (generation !== this.timerGeneration) return; // superseded by setRate
      this.timerArmed = false;
      this.pump();
    }, waitMs);
  }
}
