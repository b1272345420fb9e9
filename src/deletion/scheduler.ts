/**
 * When deletion passes run inside the daemon: once at start (a missed daily age-based run
 * happens then), every `disk.check_interval_seconds` (after_upload sweep, disk check, age-based
 * when due), shortly after uploads (keep_days 0 deletes what was just confirmed; the disk is
 * checked again after each burst of uploads), and on request (`runNow`, for SIGUSR2 /
 * `cleanup`). Passes never overlap: a request while one runs is answered by the next one.
 *
 *   file.uploaded ─► (coalesce UPLOAD_DELAY_MS) ─┐
 *   timer (check interval) ──────────────────────┼─► one pass at a time ─► executor (safety, unlink)
 *   start / runNow() ────────────────────────────┘
 *
 * It knows the clock and the order of requests, nothing of files: pass.ts does the work.
 */
import type { Clock } from '../clock/clock.js';
import type { Telemetry } from '../telemetry/events.js';
import type { Health } from '../telemetry/health.js';
import type { Logger } from '../telemetry/logger.js';
import { runDeletionPass, type PassDeps, type PassReport, type PassRequest } from './pass.js';

/** Uploads within this window share one pass. */
export const UPLOAD_DELAY_MS = 1_000;
/** Audit rows are kept this long (each is small; deletions are bounded by what the disk held). */
export const AUDIT_RETENTION_MS = 365 * 24 * 3_600_000;

export interface DeletionSchedulerOptions {
  readonly pass: PassDeps;
  readonly intervalMs: number;
  readonly timers: Clock;
  readonly telemetry: Pick<Telemetry, 'on'>;
  readonly logger: Logger;
  readonly pruneAudit: (cutoffMs: number) => number;
  /**
   * Told after each pass: a log filesystem still at critical pressure is a degraded reason
   * (`disk-critical:<dir>`) until a pass finds it below critical again. Optional until the
   * daemon has one Health record (the integrator wires it).
   */
  readonly health?: Pick<Health, 'degrade' | 'recover'>;
}

export class DeletionScheduler {
  private running: Promise<PassReport> | null = null;
  private pendingUpload = false;
  private uploadTimer: unknown = null;
  private tickTimer: unknown = null;
  private unsubscribe: (() => void) | null = null;
  private uploadSweptUntil: number;
  private closed = false;
  private last: PassReport | null = null;

  constructor(private readonly o: DeletionSchedulerOptions) {
    this.uploadSweptUntil = o.timers.now();
  }

  start(): void {
    if (this.closed || this.unsubscribe !== null) return;
    this.unsubscribe = this.o.telemetry.on((e) => {
      if (e.type === 'file.uploaded') this.onUploaded();
    });
    this.request({ trigger: 'start' }).catch(() => undefined);
    this.armTick();
  }

  /** Runs every policy now (age-based included, due or not); resolves with what it did. */
  runNow(): Promise<PassReport> {
    return this.request({ trigger: 'request', forceAgeBased: true });
  }

  /** The last completed pass, or null. */
  get lastPass(): PassReport | null {
    return this.last;
  }

  /** Stops the timers and waits for a running pass, which ends after the file at hand. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    for (const t of [this.tickTimer, this.uploadTimer]) if (t !== null) this.o.timers.clearTimeout(t);
    this.tickTimer = this.uploadTimer = null;
    await this.running?.catch(() => undefined);
  }

  private tellHealth(report: PassReport): void {
    const health = this.o.health;
    if (health === undefined) return;
    for (const f of report.filesystems) {
      const key = `disk-critical:${f.path}`;
      if (f.pressure === 'critical') {
        health.degrade(key, `${f.path} is ${f.after.usedPercent.toFixed(1)}% full (critical) after the deletion policies ran`);
      } else {
        health.recover(key);
      }
    }
  }

  private onUploaded(): void {
    if (this.closed || this.uploadTimer !== null) return;
    this.uploadTimer = this.o.timers.setTimeout(() => {
      this.uploadTimer = null;
      if (this.running !== null) {
        this.pendingUpload = true; // the running pass may have missed it: one more after it
        return;
      }
      const since = this.uploadSweptUntil;
      this.uploadSweptUntil = this.o.timers.now();
      this.request({ trigger: 'upload', uploadedSince: since }).catch(() => undefined);
    }, UPLOAD_DELAY_MS);
  }

  private armTick(): void {
    if (this.closed) return;
    this.tickTimer = this.o.timers.setTimeout(() => {
      this.tickTimer = null;
      this.request({ trigger: 'timer' })
        .catch(() => undefined)
        .finally(() => this.armTick());
      try {
        this.o.pruneAudit(this.o.timers.now() - AUDIT_RETENTION_MS);
      } catch (err) {
        this.o.logger.warn({ err }, 'cannot prune old deletion audit rows');
      }
    }, this.o.intervalMs);
  }

  /** Waits for a running pass, then runs this one. Errors are logged and re-thrown to the requester. */
  private async request(req: PassRequest): Promise<PassReport> {
    while (this.running !== null) await this.running.catch(() => undefined);
    if (this.closed) throw new Error('the deletion scheduler is closed (daemon stopping)');
    const pass = runDeletionPass({ ...this.o.pass, stopping: () => this.closed }, req);
    this.running = pass;
    try {
      const report = await pass;
      this.last = report;
      if (!report.dryRun) this.tellHealth(report);
      return report;
    } catch (err) {
      this.o.logger.error({ err, trigger: req.trigger }, 'deletion pass failed; retried at the next check');
      throw err;
    } finally {
      this.running = null;
      if (this.pendingUpload && !this.closed) {
        this.pendingUpload = false;
        this.onUploaded();
      }
    }
  }
}
