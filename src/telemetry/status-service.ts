/**
 * The daemon's status side, in one place: it records health transitions (logged once, stored
 * in the meta table so `status` in another process sees them) and the 24 h failure summary,
 * probes that the state store still takes a write, builds the status report, and serves the
 * loopback endpoint (page, /status, /healthz, /metrics). It decides nothing about uploads.
 *
 * A port that cannot be bound does not stop uploads: it is logged and recorded as the degraded
 * reason `http-endpoint`, which `status` shows.
 *
 * A reload hands it the new configuration (applyConfig): the report follows it at once, and a
 * changed `monitoring.http` closes the endpoint and serves it again on the new address.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/types.js';
import type { LinkStatusFields } from '../link/status-fields.js';
import { StateReader } from '../state/state-reader.js';
import type { StateStore } from '../state/store.js';
import { ActivityLog, ACTIVITY_META_KEY } from './activity.js';
import type { Telemetry } from './events.js';
import type { Health, HealthReason } from './health.js';
import { startHttpEndpoint, type HttpEndpoint } from './http.js';
import type { Logger } from './logger.js';
import { registerStatusGauges } from './status-gauges.js';
import { buildStatusReport, diskReports, HEALTH_META_KEY, type DeletionReport, type StatusReport } from './status-report.js';

export interface StatusServiceOptions {
  readonly config: Config;
  readonly store: StateStore;
  readonly telemetry: Telemetry;
  readonly health: Health;
  readonly logger: Logger;
  readonly now: () => number;
  /** The deletion part of the report (the daemon's policies, dry run). */
  readonly deletion?: () => Promise<DeletionReport>;
  /** The link policy's part of the report: link, budget, bandwidth, queue by priority. */
  readonly extra?: () => LinkStatusFields;
}

export class StatusService {
  readonly #activity: ActivityLog;
  #http: HttpEndpoint | null = null;
  #config: Config;
  #gauges = false;
  #closed = false;
  /** The endpoint's start or restart in progress: a restart and close wait for it. */
  #serving: Promise<void> = Promise.resolve();

  constructor(private readonly o: StatusServiceOptions) {
    this.#config = o.config;
    const { store, logger, health } = o;
    const persist = (): void => {
      try {
        store.meta.set(HEALTH_META_KEY, JSON.stringify(health.reasons()));
      } catch {
        // The store itself may be the reason; /healthz and the log still tell.
      }
    };
    health.onChange((c) => {
      if (c.kind === 'degraded') logger.warn({ reason: c.reason.key }, `degraded: ${c.reason.message}`);
      else logger.info({ reason: c.reason.key }, `recovered: ${c.reason.key}`);
      persist();
    });
    persist();
    const activity = new ActivityLog({
      now: o.now,
      load: () => store.meta.get(ACTIVITY_META_KEY),
      save: (text) => store.meta.set(ACTIVITY_META_KEY, text),
      onSaveError: (err) => logger.warn({ err }, 'cannot record the failure summary in the state store'),
    });
    this.#activity = activity;
    o.telemetry.on((e) => activity.record(e));
  }

  /** Starts the loopback endpoint when monitoring.http.enabled. Never throws for a busy port. */
  startEndpoint(): Promise<void> {
    this.#serving = this.#serving.then(() => this.serve());
    return this.#serving;
  }

  /**
   * A reload: the report reads `config` from now on; a changed `monitoring.http` (enabled,
   * listen) closes the endpoint and starts it again as configured. Unchanged: untouched.
   */
  applyConfig(config: Config): Promise<void> {
    const before = this.#config.monitoring.http;
    this.#config = config;
    if (isDeepStrictEqual(before, config.monitoring.http)) return this.#serving;
    this.#serving = this.#serving.then(async () => {
      await this.#http?.close();
      this.#http = null;
      // A bind failure at the old address is no longer the question.
      this.o.health.recover('http-endpoint');
      await this.serve();
    });
    return this.#serving;
  }

  private async serve(): Promise<void> {
    const { telemetry, logger, health } = this.o;
    const http = this.#config.monitoring.http;
    if (!http.enabled || this.#closed) return;
    if (!this.#gauges) {
      // Registered once per registry: a restarted endpoint scrapes the same gauges.
      this.#gauges = true;
      registerStatusGauges(telemetry.registry, {
        queue: () => this.reader().queue(),
        disk: () => diskReports(this.#config),
        degraded: () => health.reasons(),
      });
    }
    try {
      this.#http = await startHttpEndpoint(http.listen, telemetry.registry, { status: () => this.report(), health: () => this.checkHealth() });
      logger.info({ url: this.#http.url }, 'status endpoint listening (/, /metrics, /healthz, /status)');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      logger.error({ err }, `status endpoint not started; uploads go on without it: ${message}`);
      health.degrade('http-endpoint', message);
    }
  }

  /** The status report (`status --json`, `/status`), from the daemon's own connection. */
  report(): Promise<StatusReport | (StatusReport & LinkStatusFields)> {
    const report = buildStatusReport({ config: this.#config, reader: this.reader(), daemonPid: process.pid, degraded: this.o.health.reasons(), now: this.o.now(), ...(this.o.deletion ? { deletion: this.o.deletion } : {}) });
    const extra = this.o.extra;
    return extra === undefined ? report : report.then((r) => ({ ...r, ...extra() }));
  }

  /** Probes that the state store still takes a write, then answers the current reasons. */
  checkHealth(): HealthReason[] {
    const { store, health } = this.o;
    try {
      store.meta.set('heartbeat', String(this.o.now()));
      health.recover('state-store');
    } catch (err) {
      health.degrade('state-store', `the state store is not writable: ${err instanceof Error ? err.message : String(err)}`);
    }
    return health.reasons();
  }

  /** Stops serving and writes the failure summary. Call before the store closes. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#serving;
    await this.#http?.close();
    this.#http = null;
    this.#activity.flush();
  }

  private reader(): StateReader {
    return StateReader.over(this.o.store.db, this.o.store.dbPath);
  }
}
