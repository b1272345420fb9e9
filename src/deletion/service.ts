/**
 * The deletion policies as the running daemon holds them: built from the configuration (a
 * reload that changes what they were built from rebuilds them, after a running pass), run on
 * their schedule (scheduler.ts), on request (SIGUSR2, `cleanup` with a daemon running), and
 * asked for the deletion part of status (a dry run: what could be deleted now).
 *
 * It only wires: the policies, safety layers and executor are built by build.ts.
 */
import type { Clock } from '../clock/clock.js';
import type { Config } from '../config/types.js';
import type { EnqueueInput } from '../state/types.js';
import type { Telemetry } from '../telemetry/events.js';
import type { Health } from '../telemetry/health.js';
import type { Logger } from '../telemetry/logger.js';
import { buildDeletion, type BuildDeletionOptions, type DeletionProbes } from './build.js';
import type { PassReport } from './pass.js';
import { RequestedPasses } from './requests.js';
import { DeletionScheduler } from './scheduler.js';
import { deletionStatus, type DeletionStatus } from './status.js';

export interface DeletionServiceOptions {
  readonly db: BuildDeletionOptions['db'];
  readonly dbPath: string;
  /** Puts a file the safety layers found changed back in the upload queue. */
  readonly enqueue: (input: EnqueueInput, at: number) => void;
  readonly telemetry: Telemetry;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly health: Pick<Health, 'degrade' | 'recover'>;
  /** Disk and file-system probes (tests: a fake "disk full" statfs). */
  readonly probes: DeletionProbes;
}

export class DeletionService {
  private scheduler: DeletionScheduler | null = null;
  /** SIGUSR2 requests, recorded so that a waiting `cleanup` finds its own pass. */
  private requested: RequestedPasses | null = null;
  private closed = false;

  constructor(private readonly o: DeletionServiceOptions) {}

  start(config: Config): void {
    if (this.closed) return;
    const { repo, pass } = this.build(config, false);
    this.requested = new RequestedPasses(repo, () => this.o.clock.now(), this.o.logger);
    this.scheduler = new DeletionScheduler({
      pass, timers: this.o.clock, telemetry: this.o.telemetry, logger: this.o.logger,
      intervalMs: config.disk.checkIntervalSeconds * 1000,
      pruneAudit: (cutoff) => repo.pruneAudit(cutoff),
      health: this.o.health,
    });
    this.scheduler.start();
  }

  /** A reload: the policies read their config when built, so rebuild them when their inputs changed. */
  async apply(before: Config, after: Config): Promise<void> {
    if (this.scheduler === null || !deletionInputsChanged(before, after)) return;
    await this.scheduler.close(); // a running pass finishes first
    this.scheduler = null;
    this.start(after);
  }

  /** Every policy now (age-based included, due or not); resolves with what was deleted. */
  runNow(): Promise<PassReport> {
    if (this.scheduler === null) return Promise.reject(new Error('the daemon is not running'));
    return this.scheduler.runNow();
  }

  /**
   * SIGUSR2 (and `cleanup` with a daemon running): a pass now, recorded so that the waiting
   * `cleanup` finds it, its outcome logged. False when no policies run (not started or closed).
   */
  request(): boolean {
    if (this.scheduler === null || this.requested === null) return false;
    this.requested.run(() => this.runNow()).then(
      (r) => this.o.logger.info({ deleted: r.deletedCount, bytes: r.deletedBytes }, 'deletion pass requested by signal finished'),
      (err: unknown) => this.o.logger.warn({ err }, 'deletion pass requested by signal failed'),
    );
    return true;
  }

  /** The deletion part of status: disk usage per filesystem, bytes deletable now, last pass. */
  status(config: Config): Promise<DeletionStatus> {
    return deletionStatus(this.build(config, true).pass);
  }

  /** Stops the schedule and waits for a running pass. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.scheduler?.close();
  }

  private build(config: Config, dryRun: boolean): ReturnType<typeof buildDeletion> {
    const o = this.o;
    return buildDeletion({
      config, db: o.db, dbPath: o.dbPath, enqueue: dryRun ? () => undefined : o.enqueue,
      telemetry: o.telemetry, logger: o.logger, now: () => o.clock.now(), dryRun, ...o.probes,
    });
  }
}

/** True when a reload changes what the deletion policies were built from. */
export function deletionInputsChanged(a: Config, b: Config): boolean {
  const pick = (c: Config): string => JSON.stringify([c.deletion, c.disk, c.logDirectories, c.upload.fileStableSeconds]);
  return pick(a) !== pick(b);
}
