// Event-loop delay and heap probe for the perf suites, preloaded into the daemon with
// `node --import ./perf/eventloop-probe.mjs …`, so nothing is added to src/. Only the main thread
// is measured (worker threads inherit --import and return at once).
//
// PERF_ELD_FILE        where snapshots are appended, one JSON line each (unset: probe disabled)
// PERF_ELD_RESOLUTION  sampling interval in ms (default 10; the idle suite uses a coarser one so
//                      the probe's own wake-ups do not dominate an otherwise idle process)
// PERF_MEM_SAMPLE_MS   how often the main isolate's heap figures are sampled for their peaks
//                      (default 250; 0 = only at snapshots)
// node --expose-gc     (diagnostics) each snapshot also records the heap left after a full GC
//
// Delay figures are ms beyond the sampling interval. SIGUSR2 appends a snapshot of the delays
// and heap peaks since the previous snapshot, labelled with a running number, and resets them:
// the runner sends one at the start of the measured window (discarding start-up) and one at its
// end. Process exit appends the remainder.
import { isMainThread } from 'node:worker_threads';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { appendFileSync } from 'node:fs';
import process from 'node:process';
import { setInterval } from 'node:timers';

const file = process.env.PERF_ELD_FILE;
if (isMainThread && file) {
  const resolution = Number(process.env.PERF_ELD_RESOLUTION || 10);
  const memEvery = Number(process.env.PERF_MEM_SAMPLE_MS ?? 250);
  const h = monitorEventLoopDelay({ resolution });
  h.enable();
  let seq = 0;
  // The histogram records the interval between the probe's own timer callbacks, which includes
  // the resolution itself; the delay is what exceeds it.
  const ms = (ns) => Math.round(Math.max(0, ns / 1e6 - resolution) * 100) / 100;
  const mib = (b) => Math.round((b / 1048576) * 10) / 10;
  const peaks = { heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sampleMemory = () => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peaks)) peaks[k] = Math.max(peaks[k], m[k]);
  };
  if (memEvery > 0) setInterval(sampleMemory, memEvery).unref();
  const snapshot = (label) => {
    sampleMemory();
    const row = {
      seq: seq++,
      label,
      at: Date.now(),
      resolutionMs: resolution,
      count: h.count,
      meanMs: h.count ? ms(h.mean) : 0,
      p50Ms: h.count ? ms(h.percentile(50)) : 0,
      p99Ms: h.count ? ms(h.percentile(99)) : 0,
      maxMs: h.count ? ms(h.max) : 0,
      // Main isolate only (worker threads have their own heaps), MiB.
      heapPeakMb: Object.fromEntries(Object.entries(peaks).map(([k, v]) => [k, mib(v)])),
    };
    // With --expose-gc (a diagnostic run: `npm run perf -- --node-flag --expose-gc`): what the
    // heap still holds after a full collection, i.e. live objects rather than garbage not yet
    // collected. Growth of this figure with the number of files processed would be a leak.
    if (typeof globalThis.gc === 'function') {
      globalThis.gc();
      row.heapUsedAfterGcMb = mib(process.memoryUsage().heapUsed);
    }
    appendFileSync(file, `${JSON.stringify(row)}\n`);
    h.reset();
    for (const k of Object.keys(peaks)) peaks[k] = 0;
  };
  process.on('SIGUSR2', () => snapshot('signal'));
  process.on('exit', () => snapshot('exit'));
}
