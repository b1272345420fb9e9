/**
 * Measurements the chaos suites record rather than assert: the resident-set high-water mark
 * (sampled every 100 ms while a scenario runs) and a JSON results file, `.tmp/chaos-results.json`
 * in the working directory, with one entry per scenario so runs can be compared run against
 * run. Nothing here judges a number; the style guide keeps timing and memory out of assertions.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const CHAOS_RESULTS_FILE = join(process.cwd(), '.tmp', 'chaos-results.json');

/** Samples `process.memoryUsage()` on an unref'd interval and keeps the maxima. */
export class MemorySampler {
  peakRss = 0;
  peakHeapUsed = 0;
  samples = 0;
  private timer: NodeJS.Timeout | null = null;

  start(intervalMs = 100): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): { peakRssMiB: number; peakHeapUsedMiB: number; samples: number } {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const mib = (n: number): number => Math.round((n / 1048576) * 10) / 10;
    return { peakRssMiB: mib(this.peakRss), peakHeapUsedMiB: mib(this.peakHeapUsed), samples: this.samples };
  }

  private sample(): void {
    const m = process.memoryUsage();
    this.samples++;
    if (m.rss > this.peakRss) this.peakRss = m.rss;
    if (m.heapUsed > this.peakHeapUsed) this.peakHeapUsed = m.heapUsed;
  }
}

/** Merges `{ [scenario]: result }` into the results file (other scenarios' entries are kept). */
export function recordChaosResult(scenario: string, result: Record<string, unknown>): void {
  let all: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(CHAOS_RESULTS_FILE, 'utf8'));
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) all = parsed as Record<string, unknown>;
  } catch {
    // First run, or a file a crashed run left half-written: start over.
  }
  all[scenario] = { ...result, recordedAt: new Date().toISOString(), node: process.version };
  mkdirSync(dirname(CHAOS_RESULTS_FILE), { recursive: true });
  writeFileSync(CHAOS_RESULTS_FILE, JSON.stringify(all, null, 2) + '\n');
}
