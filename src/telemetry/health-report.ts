/**
 * Makes Health visible: one log line per transition (warn when a reason appears, info when it
 * clears) and the gauge `tvm_upload_degraded{reason}` (1 while the reason holds) plus
 * `tvm_upload_healthy` (1 / 0), so logs, /metrics and /healthz read the same record.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Health } from './health.js';
import type { Logger } from './logger.js';

export function reportHealth(health: Health, logger: Pick<Logger, 'warn' | 'info'>, registry: Registry): () => void {
  const registers = [registry];
  const degraded = new Gauge({ name: 'tvm_upload_degraded', help: 'Reasons the daemon is degraded (1 while one holds)', labelNames: ['reason'], registers });
  const healthy = new Gauge({ name: 'tvm_upload_healthy', help: '1 when no degraded reason holds, else 0', registers });
  healthy.set(health.degraded ? 0 : 1);
  return health.onChange(({ kind, reason }) => {
    if (kind === 'degraded') {
      degraded.set({ reason: reason.key }, 1);
      logger.warn({ reason: reason.key, detail: reason.message }, `degraded: ${reason.message}; retrying, recovers by itself once it succeeds`);
    } else {
      degraded.remove({ reason: reason.key });
      logger.info({ reason: reason.key, degradedMs: Date.now() - reason.since }, `recovered: ${reason.key}`);
    }
    healthy.set(health.degraded ? 0 : 1);
  });
}

/** The /healthz answer: 200 "ok", or 503 with the reasons as JSON. */
export function healthzAnswer(health: Health | undefined): { code: number; type: string; body: string } {
  if (health === undefined || !health.degraded) return { code: 200, type: 'text/plain', body: 'ok\n' };
  const reasons = health.reasons().map((r) => ({ reason: r.key, message: r.message, since: new Date(r.since).toISOString() }));
  return { code: 503, type: 'application/json', body: `${JSON.stringify({ status: 'degraded', reasons })}\n` };
}
