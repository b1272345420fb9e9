/**
 * The status figures as Prometheus gauges on /metrics, read from the state store at scrape time
 * (so they are never stale), plus the process metrics prom-client collects (CPU, memory, event
 * loop lag, handles). Registered only when the endpoint is served.
 */
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import type { QueueFigures } from '../state/state-reader.js';

export function registerStatusGauges(registry: Registry, figures: () => QueueFigures, now: () => number = Date.now): void {
  collectDefaultMetrics({ register: registry, prefix: 'tvm_upload_' });
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
}
