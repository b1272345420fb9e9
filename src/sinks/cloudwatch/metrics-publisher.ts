/**
 * The metrics publisher: drains the SQLite outbox into CloudWatch. It peeks the oldest entries,
 * sends them with PutMetricData (≤ 1000 data and < 1 MB per request) and acknowledges only what
 * CloudWatch accepted, so nothing is lost to a crash, a reboot or a week offline; the price is
 * at-least-once delivery: a crash between a send and its ack, or a request CloudWatch accepted
 * whose answer was lost (connection reset), re-sends that one request, and PutMetricData has no
 * idempotency token, so that batch counts twice (the chaos suite measures it).
 *
 *   aggregator ─(interval tick)─► outbox (SQLite) ─► peek ─► PutMetricData ─► ack
 *                                                              │ failure
 *                                                              └► RetryPolicy.decide ─► backoff timer ─► retry
 *
 * Failures never throw out of here and never drop data: throttling, 5xx and network errors wait
 * with capped exponential backoff and full jitter (publishRetryPolicy, retry-policies.ts); denied access or bad
 * credentials are logged once (OperatorAlerts) and retried slowly. The only data ever dropped is
 * what CloudWatch would reject anyway: points older than 14 days (logged). The outbox is
 * therefore bounded by age: at most (points per interval) × 14 days / interval rows.
 *
 * It does not decide when intervals end (sink.ts) and does not create alarms (alarms.ts).
 */
import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ErrorCodes, TvmError } from '../../errors.js';
import type { Clock } from '../../clock/clock.js';
import type { MetricDatum, OutboxEntry } from '../../state/types.js';
import type { Logger } from '../../telemetry/logger.js';
import { OperatorAlerts } from '../operator-alerts.js';
import type { BackoffPolicy, RetryPolicy } from '../retry.js';
import { encodeRequest, MAX_AGE_MS, MAX_DATA_PER_REQUEST, MAX_REQUEST_BYTES, planBatches, type BatchLimits } from './encode.js';
import { publishRetryPolicy } from './retry-policies.js';

export type CloudWatchSend = Pick<CloudWatchClient, 'send'>;

/** The part of OutboxRepo (state/outbox-repo.ts) the CloudWatch sink uses. */
export interface MetricsOutbox {
  add(data: MetricDatum | readonly MetricDatum[]): void;
  peek(limit: number): OutboxEntry[];
  ack(ids: readonly number[]): void;
  count(): number;
  dropOlderThan(cutoffMs: number): number;
}

/** Points this close to the 14-day limit are dropped too: they would expire in flight. */
export const AGE_MARGIN_MS = 60_000;
/** A CloudWatch outage is logged when it starts and then at most this often. */
const OUTAGE_LOG_EVERY_MS = 3_600_000;

export interface PublisherOptions {
  readonly client: CloudWatchSend;
  readonly outbox: MetricsOutbox;
  readonly namespace: string;
  readonly vehicleId: string;
  readonly logger: Logger;
  readonly timers: Clock;
  /** In [0, 1): the jitter source. */
  readonly random?: () => number;
  /** Default CLOUDWATCH_BACKOFF (retry-policies.ts). */
  readonly backoff?: BackoffPolicy;
  readonly limits?: BatchLimits;
  /** Called after every accepted request (the sink retries pending alarm creation then). */
  readonly onPublished?: () => void;
}

export interface PublisherStatus {
  /** Points waiting in the outbox, or null when the outbox cannot be read. */
  readonly backlog: number | null;
  readonly failureStreak: number;
  readonly lastSuccessAt: number | null;
  readonly lastError: { readonly code: string; readonly message: string; readonly retriability: string } | null;
  readonly nextAttemptAt: number | null;
}

export interface FlushResult {
  readonly sent: number;
  readonly remaining: number | null;
}

type Outcome = 'empty' | 'failed' | 'aborted';

export class MetricsPublisher {
  private readonly timers: Clock;
  private readonly policy: RetryPolicy;
  private readonly limits: BatchLimits;
  private readonly alerts: OperatorAlerts;
  private running: Promise<{ sent: number; outcome: Outcome }> | null = null;
  private abort: AbortController | null = null;
  private retryTimer: unknown = null;
  private retryAt: number | null = null;
  private streak = 0;
  private lastWarnAt = -Infinity;
  private lastSuccessAt: number | null = null;
  private lastError: TvmError | null = null;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly o: PublisherOptions) {
    this.timers = o.timers;
    this.policy = publishRetryPolicy(o.backoff, o.random);
    this.limits = o.limits ?? { maxData: MAX_DATA_PER_REQUEST, maxBytes: MAX_REQUEST_BYTES };
    this.alerts = new OperatorAlerts(o.logger);
  }

  /** New points are in the outbox: send now, unless a send is running or a backoff is pending. */
  wake(): void {
    if (this.closed || this.running !== null || this.retryTimer !== null) return;
    void this.run(new AbortController());
  }

  /**
   * Shutdown: one last attempt (ignoring any pending backoff) to send the backlog, bounded by
   * `deadlineMs`. Whatever is not accepted stays in the outbox for the next start.
   */
  async flush(deadlineMs: number): Promise<FlushResult> {
    if (this.closed) return { sent: 0, remaining: this.backlog() };
    const deadline = new AbortController();
    const timer = this.timers.setTimeout(() => deadline.abort(), Math.max(0, deadlineMs));
    try {
      while (this.running !== null && !deadline.signal.aborted) await Promise.race([this.running, aborted(deadline.signal)]);
      if (deadline.signal.aborted || this.closed) return { sent: 0, remaining: this.backlog() };
      this.cancelRetry();
      const { sent } = await this.run(deadline);
      return { sent, remaining: this.backlog() };
    } finally {
      this.timers.clearTimeout(timer);
    }
  }

  /** Stops: cancels the backoff timer, abandons an in-flight request (its points stay queued). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.cancelRetry();
      this.abort?.abort();
      if (this.running !== null) await this.running;
    })();
    return this.closing;
  }

  /** Resolves once no send is running (tests, status). */
  async settled(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  status(): PublisherStatus {
    const e = this.lastError;
    return {
      backlog: this.backlog(),
      failureStreak: this.streak,
      lastSuccessAt: this.lastSuccessAt,
      lastError: e === null ? null : { code: e.code, message: e.message, retriability: e.retriability },
      nextAttemptAt: this.retryAt,
    };
  }

  private run(ctrl: AbortController): Promise<{ sent: number; outcome: Outcome }> {
    this.abort = ctrl;
    const p = this.drain(ctrl.signal).finally(() => {
      if (this.running === p) {
        this.running = null;
        this.abort = null;
      }
    });
    this.running = p;
    return p;
  }

  private async drain(signal: AbortSignal): Promise<{ sent: number; outcome: Outcome }> {
    let sent = 0;
    let page: OutboxEntry[];
    try {
      this.dropExpired();
      page = this.o.outbox.peek(this.limits.maxData);
    } catch (err) {
      this.failed(asLocalError(err));
      return { sent, outcome: 'failed' };
    }
    while (page.length > 0) {
      for (const batch of planBatches(page, this.o, this.limits)) {
        if (signal.aborted) return { sent, outcome: 'aborted' };
        const input = encodeRequest(batch, { namespace: this.o.namespace, vehicleId: this.o.vehicleId, now: this.timers.now() });
        try {
          await raceAbort(this.o.client.send(new PutMetricDataCommand(input), { abortSignal: signal }), signal);
        } catch (err) {
          if (signal.aborted) return { sent, outcome: 'aborted' };
          this.failed(err);
          return { sent, outcome: 'failed' };
        }
        try {
          this.o.outbox.ack(batch.map((e) => e.id));
        } catch (err) {
          this.failed(asLocalError(err));
          return { sent, outcome: 'failed' };
        }
        sent += batch.length;
        this.succeeded(sent);
      }
      try {
        page = this.o.outbox.peek(this.limits.maxData);
      } catch (err) {
        this.failed(asLocalError(err));
        return { sent, outcome: 'failed' };
      }
    }
    if (sent > 0) this.o.logger.debug({ points: sent }, 'metrics published to CloudWatch');
    return { sent, outcome: 'empty' };
  }

  private dropExpired(): void {
    const cutoff = this.timers.now() - MAX_AGE_MS + AGE_MARGIN_MS;
    const dropped = this.o.outbox.dropOlderThan(cutoff);
    if (dropped > 0) {
      this.o.logger.warn(
        { code: ErrorCodes.CLOUDWATCH, dropped, olderThan: new Date(cutoff).toISOString() },
        `dropped ${dropped} metric data points older than 14 days: CloudWatch no longer accepts them`,
      );
    }
  }

  private succeeded(sent: number): void {
    if (this.streak > 0) {
      this.o.logger.info({ failures: this.streak, points: sent, backlog: this.backlog() }, 'CloudWatch publishing recovered');
      this.alerts.resolve();
    }
    this.streak = 0;
    this.lastError = null;
    this.lastWarnAt = -Infinity;
    this.lastSuccessAt = this.timers.now();
    try {
      this.o.onPublished?.();
    } catch (err) {
      this.o.logger.error({ err }, 'metrics onPublished hook failed');
    }
  }

  /** Every action waits `delayMs` and tries again: the outbox is never dropped, so even 'park' only waits longer. */
  private failed(failure: unknown): void {
    this.streak += 1;
    const { error: err, delayMs: delay } = this.policy.decide({ attempt: this.streak, error: failure });
    this.lastError = err;
    const now = this.timers.now();
    const fields = { code: err.code, ...err.details, failures: this.streak, retryInS: Math.round(delay / 1000), backlog: this.backlog() };
    if (err.retriability === 'operator') {
      this.alerts.report(err);
    } else if (now - this.lastWarnAt >= OUTAGE_LOG_EVERY_MS) {
      this.lastWarnAt = now;
      this.o.logger.warn({ ...fields, hint: err.hint }, `${err.message}; metrics stay in the outbox and are retried`);
    } else {
      this.o.logger.debug(fields, err.message);
    }
    if (this.closed) return;
    this.cancelRetry();
    this.retryAt = now + delay;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      this.retryAt = null;
      this.wake();
    }, delay);
  }

  private cancelRetry(): void {
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.retryAt = null;
  }

  private backlog(): number | null {
    try {
      return this.o.outbox.count();
    } catch {
      return null;
    }
  }
}

/** An outbox (SQLite) failure: already a catalog error; anything else is a bug, retried. */
function asLocalError(err: unknown): TvmError {
  if (err instanceof TvmError) return err;
  return new TvmError(ErrorCodes.INTERNAL, `metrics outbox failed: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
    retriability: 'retriable',
  });
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Rejects as soon as `signal` aborts, even if `p` (a stubbed send, say) ignores the signal. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return Promise.race([
    p,
    aborted(signal).then(() => {
      throw new TvmError(ErrorCodes.CLOUDWATCH, 'PutMetricData abandoned: shutting down', { retriability: 'retriable' });
    }),
  ]);
}
