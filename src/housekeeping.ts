/**
 * The daemon's periodic chores, each on its own timer of the Clock:
 *
 * - hourly registry retention: forget uploaded rows and object keys older than
 *   `processed_files_registry.retention_days`, and expired tombstones;
 * - every 15 s the queue gauge (`queue.depth`, per priority when priorities are in use), then
 *   the caller's own sample (status health check, link gauges);
 * - daily, the abort of stale multipart uploads (the S3 sink does it).
 *
 * A chore that throws (a state store refusing writes) never escapes its timer: Health says
 * `housekeeping.<name>` is degraded, the chore is tried again after a capped backoff (besides
 * its own period), and the first success clears it. It knows nothing of what the chores are
 * for beyond calling them; close() stops every timer and pending retry.
 */
import type { Clock, TimerHandle } from './clock/clock.js';
import type { Config } from './config/types.js';
import { stateRetryDelayMs } from './sinks/retry.js';
import { queueByPriority, usesPriorities } from './priority/queue-stats.js';
import { TOMBSTONE_RETENTION_MS } from './state/file-repo.js';
import { StateReader } from './state/state-reader.js';
import type { StateStore } from './state/store.js';
import type { Telemetry } from './telemetry/events.js';
import type { Health } from './telemetry/health.js';
import type { Logger } from './telemetry/logger.js';

const HOUR = 3_600_000;
export const PRUNE_EVERY_MS = HOUR;
export const SAMPLE_EVERY_MS = 15_000;
export const ABORT_STALE_EVERY_MS = 24 * HOUR;

export interface HousekeepingOptions {
  readonly clock: Clock;
  readonly health: Pick<Health, 'degrade' | 'recover'>;
  readonly logger: Logger;
  readonly telemetry: Pick<Telemetry, 'emit'>;
  readonly store: Pick<StateStore, 'db' | 'dbPath' | 'files' | 'keys'>;
  /** The configuration in effect (a reload replaces it); retention is read once, at start. */
  readonly config: () => Config;
  /** Aborts stale multipart uploads (S3Sink.abortStale); a rejection is logged, not retried early. */
  readonly abortStale: () => Promise<unknown>;
  /** Runs inside the queue-gauge chore, after the gauge (a throw counts as its failure). */
  readonly afterQueueDepth?: () => void;
  /** Runs after each queue sample, at start and every SAMPLE_EVERY_MS. */
  readonly afterSample?: () => void;
}

export class Housekeeping {
  private readonly timers: TimerHandle[] = [];
  /** Pending retries of failed chores (at most one per chore). */
  private readonly retries = new Set<TimerHandle>();
  private closed = false;

  constructor(private readonly o: HousekeepingOptions) {}

  /** Runs every chore once now, then on its period. */
  start(): void {
    if (this.closed || this.timers.length > 0) return;
    const { clock } = this.o;
    const prune = this.guarded('registry retention', this.pruneTask());
    const depth = this.guarded('queue depth', () => this.queueDepth());
    const abortStale = this.guarded('stale upload cleanup', () => {
      void this.o.abortStale().catch((err: unknown) => this.o.logger.warn({ err }, 'could not list stale multipart uploads'));
    });
    const sample = (): void => {
      depth();
      this.o.afterSample?.();
    };
    prune();
    sample();
    abortStale();
    this.timers.push(clock.setInterval(prune, PRUNE_EVERY_MS), clock.setInterval(sample, SAMPLE_EVERY_MS), clock.setInterval(abortStale, ABORT_STALE_EVERY_MS));
  }

  /** Stops every timer and pending retry. Idempotent. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) this.o.clock.clearInterval(t);
    for (const t of this.retries) this.o.clock.clearTimeout(t);
    this.timers.length = 0;
    this.retries.clear();
  }

  private pruneTask(): () => void {
    const retentionMs = this.o.config().upload.processedFilesRegistry.retentionDays * 24 * HOUR;
    return () => {
      const now = this.o.clock.now();
      const removed = this.o.store.files.pruneUploaded(now - retentionMs, now);
      const keys = this.o.store.keys.prune(now - retentionMs);
      this.o.store.files.expireTombstones(now - TOMBSTONE_RETENTION_MS);
      if (removed > 0 || keys > 0) this.o.logger.info({ removed, keys }, 'registry retention: forgot old uploaded files and object keys');
    };
  }

  private queueDepth(): void {
    const { store } = this.o;
    const q = StateReader.over(store.db, store.dbPath).queue();
    const byPriority = usesPriorities(this.o.config()) ? queueByPriority(store.files.queuedByPriority()) : undefined;
    this.o.telemetry.emit({
      type: 'queue.depth', queued: q.queued, inFlight: q.inFlight, oldestQueuedAt: q.oldestPendingAt, bytesPending: q.bytesPending,
      ...(byPriority === undefined ? {} : { byPriority }),
    });
    this.o.afterQueueDepth?.();
  }

  private guarded(name: string, task: () => void): () => void {
    let failures = 0;
    let pending = false;
    const run = (): void => {
      if (this.closed) return;
      try {
        task();
        failures = 0;
        this.o.health.recover(`housekeeping.${name}`);
      } catch (err) {
        failures++;
        this.o.health.degrade(`housekeeping.${name}`, `${name} failed (${err instanceof Error ? err.message : String(err)})`);
        if (pending) return;
        pending = true;
        const t = this.o.clock.setTimeout(() => {
          this.retries.delete(t);
          pending = false;
          run();
        }, stateRetryDelayMs(failures));
        this.retries.add(t);
      }
    };
    return run;
  }
}
