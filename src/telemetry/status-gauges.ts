/**
 * The status figures as Prometheus gauges on /metrics, read from the state store at scrape time
 * (so they are never stale), plus the process metrics prom-client collects (CPU, memory, event
 * loop lag, handles). Registered only when the endpoint is served.
 */
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import type { QueueFigures } from '../state/state-reader.js';
import type { HealthReason } from './health.js';
import type { DiskReport } from './status-report.js';

export interface StatusFigures {
  queue(): QueueFigures;
  disk(): Promise<readonly DiskReport[]>;
  degraded(): readonly HealthReason[];
}

/**
 * How often prom-client's event-loop-delay histogram wakes the loop to time itself. Its default,
 * 10 ms, is 100 wake-ups a second for as long as the endpoint is served (it is by default):
 * measured 0.28 CPU-s per minute on this machine, more than the whole idle daemon's target
 * (0.1). Once a second costs ≈ 0.003; a stall still shows whenever it holds up that tick
 * (a stall of S ms at random is caught with probability S/1000, every stall of ≥ 1 s).
 */
export const EVENT_LOOP_SAMPLE_MS = 1000;

export function registerStatusGauges(registry: Registry, source: StatusFigures, now: () => number = Date.now): void {
  const figures = (): QueueFigures => source.queue();
  collectDefaultMetrics({ register: registry, prefix: 'tvm_upload_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const read = (): QueueFigures | null => {
    try {
      return figures();
    } catch {
      return null; // a store that cannot be read shows as a missing sample; /healthz says why
    }
  };
  new Gauge({
    name: 'tvm_upload_bytes_pending',
    help: 'Source bytes of files queued or in flight',
    registers: [registry],
    collect() {
      const f = read();
      if (f !== null) this.set(f.bytesPending);
    },
  });
  new Gauge({
    name: 'tvm_upload_oldest_pending_age_seconds',
    help: 'Age of the oldest file not yet uploaded (0 when none)',
    registers: [registry],
    collect() {
      const f = read();
      if (f !== null) this.set(f.oldestPendingAt === null ? 0 : Math.max(0, (now() - f.oldestPendingAt) / 1000));
    },
  });
  new Gauge({
    name: 'tvm_upload_files_pending',
    help: 'Files queued or in flight',
    registers: [registry],
    collect() {
      const f = read();
      if (f !== null) this.set(f.queued + f.inFlight);
    },
  });
  new Gauge({
    name: 'tvm_upload_disk_used_percent',
    help: 'Used space of each filesystem holding a watched directory or the state dir (df Use%)',
    labelNames: ['filesystem'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const d of await source.disk()) if (d.usedPercent !== null) this.set({ filesystem: d.measuredPath }, d.usedPercent);
    },
  });
  new Gauge({
    name: 'tvm_upload_degraded',
    help: '1 for each reason the daemon is degraded (the same reasons /healthz and status show)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const r of source.degraded()) this.set({ reason: r.key }, 1);
    },
  });
}
