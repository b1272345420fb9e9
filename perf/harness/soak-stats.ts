/**
 * The soak suite's verdicts, as pure functions of its samples: whether memory keeps growing
 * (least-squares slope of RSS after warm-up, MiB per hour) and whether throughput holds
 * (coefficient of variation of per-interval MB/s). A leak shows as a slope well above zero
 * over an hour of work; allocator and GC noise averages out across many samples.
 */
import type { SoakFigures } from '../result-types.js';

export interface Sample {
  /** Seconds since the measured run started. */
  readonly tS: number;
  readonly rssMb: number;
  /** Daemon CPU seconds (user + sys) since the run started. */
  readonly cpuS: number;
  /** Source bytes the daemon confirmed uploaded since the run started. */
  readonly sourceBytes: number;
  /** The machine's 1-minute load average at the sample. */
  readonly load1: number;
}

/** Slope of y over x by least squares; null with fewer than two distinct x. */
export function leastSquaresSlope(points: readonly (readonly [number, number])[]): number | null {
  const n = points.length;
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}

/** Standard deviation ÷ mean (population); null for fewer than two values or a zero mean. */
export function coefficientOfVariation(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (mean === 0) return null;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return Math.sqrt(variance) / mean;
}

/**
 * The samples of the steady part of a run: after the warm-up (the first `share` of the time until
 * the last file was written) and up to that moment. The drain after it (fewer and fewer files
 * left, memory handed back) says nothing about a steady state.
 */
export function steadyWindow(samples: readonly Sample[], share: number, lastWriteS: number): Sample[] {
  const from = lastWriteS * share;
  return samples.filter((s) => s.tS >= from && s.tS <= lastWriteS);
}

/** RSS growth in MiB per hour over the samples (least squares); null when it cannot be fitted. */
export function rssSlopeMbPerHour(samples: readonly Sample[]): number | null {
  const perS = leastSquaresSlope(samples.map((s) => [s.tS, s.rssMb] as const));
  return perS === null ? null : perS * 3600;
}

/** Source MB/s (decimal) in each interval between consecutive samples. */
export function intervalMBps(samples: readonly Sample[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (b.tS > a.tS) out.push((b.sourceBytes - a.sourceBytes) / 1e6 / (b.tS - a.tS));
  }
  return out;
}

/** Objects that failed a check, 'uploaded' lines for files not pending, and objects left over. */
export function objectsFailing(s: Pick<SoakFigures, 'verification' | 'leftoverObjects'>): number {
  return s.verification.failedObjects + s.verification.unexpected + s.leftoverObjects;
}
