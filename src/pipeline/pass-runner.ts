/**
 * Upload passes asked for from outside the schedule: `upload-now` against a running daemon
 * (rescan every tree, drain the whole queue) and the standalone one-shot (`runOnce`: scan,
 * upload everything eligible, retry a failed file while its next attempt is due soon). Both
 * first make files waiting for a retry (or parked for a day) due now, and record the pass's
 * start and end so `upload-now` can follow it from another process.
 *
 * Pass bookkeeping never stops a pass: a store that refuses the write is logged (and shows in
 * /healthz through the other writes). It knows nothing of what an upload does: the dispatcher
 * and intake do the work.
 */
import type { Logger } from '../telemetry/logger.js';

/** One-shot retries: a file gets this many attempts within the pass… */
export const ONE_SHOT_ATTEMPTS = 3;
/** …as long as its next attempt is due within this horizon (a longer backoff ends the pass). */
export const ONE_SHOT_RETRY_HORIZON_MS = 30_000;

export interface PassRunnerOptions {
  readonly files: { retryAllNow(): number };
  readonly gate: { triggerPass(): void };
  readonly intake: { scanAll(kind: 'rescan', notBeforeMs: null): Promise<void>; scanExisting(always: boolean): Promise<void> };
  readonly dispatcher: { wake(): void; whenIdle(): Promise<void> };
  /** Opened once per one-shot pass: when the earliest file with fewer than `maxAttempts` attempts is due again. */
  readonly reader: () => { nextRetryAt(maxAttempts: number): number | null };
  /** Pass start/end records (null until the daemon has started its status parts). */
  readonly passes: () => { begin(): number; finish(seq: number): void } | null;
  readonly logger: Logger;
  /** True once the daemon is closing: the one-shot stops waiting for retries. */
  readonly closing: () => boolean;
}

export class PassRunner {
  constructor(private readonly o: PassRunnerOptions) {}

  /** Rescan every tree and drain the whole queue; resolves when the pass is over. */
  async uploadNow(): Promise<void> {
    const seq = this.begin();
    this.retryWaiting();
    this.o.gate.triggerPass();
    await this.o.intake.scanAll('rescan', null);
    this.o.dispatcher.wake();
    await this.o.dispatcher.whenIdle();
    this.end(seq);
  }

  /**
   * The one-shot pass: scan every tree (max_age_days applies), upload everything eligible,
   * retry a failed file while its next attempt is due soon (ONE_SHOT_ATTEMPTS within
   * ONE_SHOT_RETRY_HORIZON_MS), then return.
   */
  async runOnce(): Promise<{ startedAt: number }> {
    const startedAt = Date.now();
    const seq = this.begin();
    this.retryWaiting();
    this.o.dispatcher.wake();
    await this.o.intake.scanExisting(true);
    const reader = this.o.reader();
    for (;;) {
      this.o.dispatcher.wake();
      await this.o.dispatcher.whenIdle();
      if (this.o.closing()) return { startedAt };
      const retryAt = reader.nextRetryAt(ONE_SHOT_ATTEMPTS);
      if (retryAt === null || retryAt - Date.now() > ONE_SHOT_RETRY_HORIZON_MS) break;
      // A plain (ref'd) timer: in the one-shot nothing else may keep the process alive meanwhile.
      await new Promise((r) => setTimeout(r, Math.max(0, retryAt - Date.now()) + 5));
    }
    this.end(seq);
    return { startedAt };
  }

  /** A pass asked for by hand tries files waiting for a retry (or parked for a day) now. */
  private retryWaiting(): void {
    try {
      const n = this.o.files.retryAllNow();
      if (n > 0) this.o.logger.info({ files: n }, 'upload pass: files waiting for a retry are tried now');
    } catch (err) {
      this.o.logger.warn({ err }, 'cannot make waiting files due now; they keep their retry time');
    }
  }

  private begin(): number {
    try {
      return this.o.passes()?.begin() ?? 0;
    } catch (err) {
      this.o.logger.warn({ err }, 'cannot record the start of the upload pass');
      return 0;
    }
  }

  private end(seq: number): void {
    try {
      this.o.passes()?.finish(seq);
    } catch (err) {
      this.o.logger.warn({ err }, 'cannot record the end of the upload pass');
    }
  }
}
