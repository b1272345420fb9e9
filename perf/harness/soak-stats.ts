/**
 * The soak suite's verdicts, as pure functions of its samples: whether memory keeps growing
 * (least-squares slope of RSS after warm-up, MiB per hour) and whether throughput holds
 * (coefficient of variation of per-interval MB/s). A leak shows as a slope well above zero
 * over an hour of work; allocator and GC noise averages out across many samples.
 */
import type { SoakFigures } from '../result-types.js';
import type { EventLoopSnapshot } from './daemon-child.js';

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

/**
 * The main isolate's heap after a full GC, from the probe's snapshots (taken at each sample with
 * node --expose-gc), as (seconds since `startedAt`, MiB) within [fromS, toS]; its least-squares
 * slope in MiB per hour. Empty and null without --expose-gc.
 */
export function heapAfterGc(
  snapshots: readonly { readonly at: number; readonly label: string; readonly heapUsedAfterGcMb?: number }[],
  startedAt: number,
  fromS: number,
  toS: number,
): { points: Array<readonly [number, number]>; slopeMbPerHour: number | null } {
  const points = snapshots
    .filter((s) => s.label === 'signal' && s.heapUsedAfterGcMb !== undefined)
    .map((s) => [(s.at - startedAt) / 1000, s.heapUsedAfterGcMb!] as const)
    .filter(([t]) => t >= fromS && t <= toS);
  const perS = leastSquaresSlope(points);
  return { points, slopeMbPerHour: perS === null ? null : perS * 3600 };
}

/**
 * Several consecutive event-loop snapshots as one window: counts added, the mean weighted by
 * count, and the worst p50, p99, max and heap peaks of any of them (percentiles of the union
 * cannot be rebuilt from the parts; the worst interval is the cautious figure).
 */
export function worstOf(snapshots: readonly EventLoopSnapshot[]): EventLoopSnapshot | undefined {
  if (snapshots.length === 0) return undefined;
  const count = snapshots.reduce((a, s) => a + s.count, 0);
  const peaks: Record<string, number> = {};
  for (const s of snapshots) for (const [k, v] of Object.entries(s.heapPeakMb ?? {})) peaks[k] = Math.max(peaks[k] ?? 0, v);
  return {
    ...snapshots[snapshots.length - 1]!,
    count,
    meanMs: count === 0 ? 0 : Math.round((snapshots.reduce((a, s) => a + s.meanMs * s.count, 0) / count) * 100) / 100,
    p50Ms: Math.max(...snapshots.map((s) => s.p50Ms)),
    p99Ms: Math.max(...snapshots.map((s) => s.p99Ms)),
    maxMs: Math.max(...snapshots.map((s) => s.maxMs)),
    heapPeakMb: peaks,
  };
}
