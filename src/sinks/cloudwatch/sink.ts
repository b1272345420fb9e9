/**
 * CloudWatchSink: the one object the daemon builds for CloudWatch. It wires telemetry → the
 * aggregator, ends a publish interval every `monitoring.publish_interval_seconds` (aligned to
 * the wall clock) by writing the interval's points to the SQLite outbox, wakes the publisher,
 * and creates the vehicle's alarms in the background. The outbox is the durability point: a
 * crash loses at most the current partial interval.
 *
 *   telemetry ─► MetricsAggregator ─(tick)─► outbox ─► MetricsPublisher ─► CloudWatch
 *
 * Nothing here throws after construction or blocks start-up: CloudWatch being unreachable at
 * boot only means the points wait (the reference exited and crash-looped under systemd).
 * Publishing is periodic and independent of the deletion settings (the reference published only
 * from the daily age-based cleanup).
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Config } from '../../config/types.js';
import { realClock, type Clock } from '../../clock/clock.js';
import type { Telemetry } from '../../telemetry/events.js';
import type { Logger } from '../../telemetry/logger.js';
import type { BackoffPolicy } from '../retry.js';
import { MetricsAggregator } from './aggregator.js';
import { ensureAlarms, type AlarmOptions } from './alarms.js';
import { createCloudWatchClient } from './client.js';
import { statfsDiskProbe, type DiskProbe } from './disk-probe.js';
import { datum } from './encode.js';
import { MetricsPublisher, type CloudWatchSend, type FlushResult, type MetricsOutbox, type PublisherStatus } from './metrics-publisher.js';
import { alarmRetryPolicy } from './retry-policies.js';

export type SinkAlarmOptions = Omit<AlarmOptions, 'vehicleId' | 'namespace'>;

export interface CloudWatchSinkOptions {
  readonly telemetry: Pick<Telemetry, 'on'>;
  readonly outbox: MetricsOutbox;
  readonly config: Pick<Config, 'vehicleId' | 'monitoring' | 's3' | 'logDirectories'>;
  readonly logger: Logger;
  /** Default: built by createCloudWatchClient from `config.s3` and `env` (and destroyed on close). */
  readonly client?: CloudWatchSend;
  readonly env?: NodeJS.ProcessEnv;
  readonly timers?: Clock;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
  readonly backoff?: BackoffPolicy;
  /** DiskUsagePercent source; default statfs of the first log directory; null = not published. */
  readonly diskProbe?: DiskProbe | null;
  /** Alarm settings; false = create none. Default: monitoring.alarms from the configuration. */
  readonly alarms?: SinkAlarmOptions | false;
  /** Record ServiceStartup at start. Default true; false for the `upload-now` one-shot, which is not a service start. */
  readonly recordStartup?: boolean;
}

export interface CloudWatchSinkStatus extends PublisherStatus {
  readonly alarms: 'disabled' | 'pending' | 'ok' | 'failed';
}

export class CloudWatchSink {
  private readonly timers: Clock;
  private readonly aggregator: MetricsAggregator;
  private readonly publisher: MetricsPublisher;
  private readonly client: CloudWatchSend;
  private readonly owned: CloudWatchClient | null = null;
  private readonly intervalMs: number;
  private unsubscribe: (() => void) | null = null;
  private tickTimer: unknown = null;
  private started = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private alarmState: CloudWatchSinkStatus['alarms'];
  private alarmAttempts = 0;
  private readonly alarmPolicy = alarmRetryPolicy();
  private alarmTask: Promise<void> | null = null;
  private readonly alarmAbort = new AbortController();

  constructor(private readonly o: CloudWatchSinkOptions) {
    this.timers = o.timers ?? realClock;
    const m = o.config.monitoring;
    this.intervalMs = Math.max(1, Math.round(m.publishIntervalSeconds * 1000));
    if (o.client !== undefined) {
      this.client = o.client;
    } else {
      this.owned = createCloudWatchClient(o.config.s3, o.env ?? process.env).client;
      this.client = this.owned;
    }
    const firstDir = o.config.logDirectories[0]?.path;
    const probe = o.diskProbe !== undefined ? o.diskProbe : firstDir === undefined ? null : statfsDiskProbe(firstDir);
    this.aggregator = new MetricsAggregator(probe);
    this.alarmState = o.alarms === false ? 'disabled' : 'pending';
    this.publisher = new MetricsPublisher({
      client: this.client,
      outbox: o.outbox,
      namespace: m.namespace,
      vehicleId: o.config.vehicleId,
      logger: o.logger,
      timers: this.timers,
      ...(o.random === undefined ? {} : { random: o.random }),
      ...(o.backoff === undefined ? {} : { backoff: o.backoff }),
      onPublished: () => this.retryAlarms(),
    });
  }

  /** Subscribes to telemetry, records ServiceStartup, starts the interval clock. Never throws for I/O. */
  start(): void {
    if (this.closed) return;
    if (this.started) return;
    this.started = true;
    if (!this.o.config.monitoring.cloudwatchEnabled) {
      this.o.logger.info('CloudWatch metrics are disabled (monitoring.cloudwatch_enabled: false)');
      return;
    }
    this.unsubscribe = this.o.telemetry.on((e) => this.aggregator.record(e));
    try {
      if (this.o.recordStartup !== false) this.o.outbox.add(datum('ServiceStartup', 1, this.timers.now()));
    } catch (err) {
      this.o.logger.error({ err }, 'cannot record ServiceStartup in the metrics outbox');
    }
    this.scheduleTick();
    this.publisher.wake();
    if (this.alarmState === 'pending') this.runAlarms();
  }

  /**
   * Shutdown step "flush metrics": writes the partial interval to the outbox and tries to send
   * the backlog within `deadlineMs`. What is not accepted in time is sent after the next start.
   */
  async flush(deadlineMs = 5_000): Promise<FlushResult> {
    if (!this.active()) return { sent: 0, remaining: null };
    this.checkpoint(this.timers.now());
    return this.publisher.flush(deadlineMs);
  }

  /** Stops the clock and the publisher (an in-flight request is abandoned; its points stay queued). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const wasActive = this.active();
      this.closed = true;
      this.unsubscribe?.();
      this.unsubscribe = null;
      if (this.tickTimer !== null) this.timers.clearTimeout(this.tickTimer);
      this.tickTimer = null;
      if (wasActive && this.aggregator.dirty) this.checkpoint(this.timers.now());
      this.alarmAbort.abort();
      await this.publisher.close();
      await this.alarmTask;
      this.owned?.destroy();
    })();
    return this.closing;
  }

  status(): CloudWatchSinkStatus {
    return { ...this.publisher.status(), alarms: this.alarmState };
  }

  /** Resolves once no request is in flight (tests). */
  async settled(): Promise<void> {
    await this.publisher.settled();
    await this.alarmTask;
  }

  private active(): boolean {
    return this.started && !this.closed && this.o.config.monitoring.cloudwatchEnabled;
  }

  /** Ticks fall on multiples of the interval (…:00, …:01 for 60 s) so vehicles line up on dashboards. */
  private scheduleTick(): void {
    const wait = this.intervalMs - (this.timers.now() % this.intervalMs);
    this.tickTimer = this.timers.setTimeout(() => {
      this.tickTimer = null;
      if (!this.active()) return;
      this.checkpoint(this.timers.now());
      this.publisher.wake();
      this.scheduleTick();
    }, wait);
  }

  /** Writes the interval's points; if the outbox cannot take them, they stay in the counters for the next try. */
  private checkpoint(end: number): void {
    try {
      this.o.outbox.add(this.aggregator.snapshot(end));
      this.aggregator.reset();
    } catch (err) {
      this.o.logger.error({ err }, 'cannot write metrics to the outbox; the counts are kept for the next interval');
    }
  }

  private retryAlarms(): void {
    if (this.alarmState === 'pending' && this.alarmTask === null && this.active()) this.runAlarms();
  }

  private runAlarms(): void {
    const c = this.o.config.monitoring.alarms;
    const options: AlarmOptions = {
      lowUploadThresholdMb: c.lowUploadThresholdMb,
      evaluationPeriods: c.evaluationPeriods,
      uploadFailuresThreshold: c.uploadFailuresThreshold,
      backlogThresholdHours: c.backlogThresholdHours,
      ...(this.o.alarms || {}),
      vehicleId: this.o.config.vehicleId,
      namespace: this.o.config.monitoring.namespace,
    };
    this.alarmAttempts += 1;
    const log = this.o.logger;
    this.alarmTask = ensureAlarms(this.client, options, this.alarmAbort.signal)
      .then((r) => {
        this.alarmState = 'ok';
        if (r.created.length > 0) log.info({ alarms: r.created }, 'created CloudWatch alarms');
        if (r.existing.length > 0) log.debug({ alarms: r.existing }, 'CloudWatch alarms already exist; left unchanged');
      })
      .catch((err: unknown) => {
        if (this.alarmAbort.signal.aborted) return;
        const { action, error: e } = this.alarmPolicy.decide({ attempt: this.alarmAttempts, error: err });
        const giveUp = action !== 'retry';
        if (giveUp) this.alarmState = 'failed';
        log.warn(
          { code: e.code, ...e.details, hint: e.hint },
          `cannot create CloudWatch alarms: ${e.message}${giveUp ? '; not retried until the next start' : '; retried after the next successful publish'}`,
        );
      })
      .finally(() => {
        this.alarmTask = null;
      });
  }
}
