/**
 * A tiny seeded pseudo-random generator (mulberry32) for test tools that must misbehave the same
 * way on every run: the same seed gives the same sequence on every machine and Node version,
 * which Math.random cannot promise. Not for cryptography; 32 bits of state is plenty for
 * choosing faults and generating test data.
 */

export interface SeededRandom {
  /** The seed this generator started from (for failure messages: "reproduce with seed N"). */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n), n ≥ 1. */
  int(n: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** Fills `buf` with pseudo-random bytes and returns it. */
  fill(buf: Buffer): Buffer;
}

/** Starts a mulberry32 generator; any finite number is a valid seed (it is folded to 32 bits). */
export function seededRandom(seed: number): SeededRandom {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  let state = Math.trunc(seed) >>> 0;

  const nextUint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`int(n) needs an integer n ≥ 1, got ${n}`);
    return Math.floor((nextUint32() / 4294967296) * n);
  };

  return {
    seed,
    next: () => nextUint32() / 4294967296,
    int,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick() needs a non-empty array');
      return items[int(items.length)] as T;
    },
    fill(buf: Buffer): Buffer {
      let i = 0;
      for (; i + 4 <= buf.length; i += 4) buf.writeUInt32LE(nextUint32(), i);
      if (i < buf.length) {
        const last = nextUint32();
        for (let k = 0; i < buf.length; i++, k++) buf[i] = (last >>> (8 * k)) & 0xff;
      }
      return buf;
    },
  };
}
