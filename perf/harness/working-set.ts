/**
 * The soak suite's bound on files waiting on disk: the generator reserves a file's size before
 * writing it and waits while the set is full; the verifier releases it once the object is
 * checked and the file removed. 100 GB pass through, a few GB at most sit on disk. Waiters are
 * served first come, first served, so a large file is not starved by small ones behind it; a
 * file larger than the whole bound is admitted when the set is empty (it could never fit).
 */

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
}

export class WorkingSet {
  private pending = 0;
  private peak = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly capBytes: number) {
    if (!(capBytes > 0)) throw new RangeError(`working set bound must be > 0 bytes, got ${capBytes}`);
  }

  get pendingBytes(): number {
    return this.pending;
  }

  get peakBytes(): number {
    return this.peak;
  }

  /** Resolves once `bytes` fit within the bound (immediately when they do now and nobody waits). */
  reserve(bytes: number): Promise<void> {
    if (this.waiters.length === 0 && this.fits(bytes)) {
      this.take(bytes);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push({ bytes, resolve }));
  }

  release(bytes: number): void {
    if (bytes > this.pending) throw new RangeError(`released ${bytes} bytes but only ${this.pending} are reserved`);
    this.pending -= bytes;
    while (this.waiters.length > 0 && this.fits(this.waiters[0]!.bytes)) {
      const w = this.waiters.shift()!;
      this.take(w.bytes);
      w.resolve();
    }
  }

  private fits(bytes: number): boolean {
    return this.pending === 0 || this.pending + bytes <= this.capBytes;
  }

  private take(bytes: number): void {
    this.pending += bytes;
    this.peak = Math.max(this.peak, this.pending);
  }
}
