/**
 * Operator alerts: an operator-class error (missing bucket, denied access, bad credentials …)
 * affects every file at once, so logging it per file per retry would flood the journal. Each
 * such code is logged loudly once, with its hint, and stays quiet until a successful upload
 * shows the problem is gone (then one "resolved" line). Other errors are not handled here.
 */
import type { ErrorCode, TvmError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';

export class OperatorAlerts {
  private readonly active = new Map<ErrorCode, number>();

  constructor(private readonly logger: Pick<Logger, 'error' | 'info'>) {}

  /**
   * Records an error. Returns true when it was logged now (the first operator-class error with
   * this code since the last success), false when it was suppressed or is not operator-class.
   */
  report(err: TvmError): boolean {
    if (err.retriability !== 'operator') return false;
    const seen = this.active.get(err.code);
    if (seen !== undefined) {
      this.active.set(err.code, seen + 1);
      return false;
    }
    this.active.set(err.code, 1);
    this.logger.error(
      { code: err.code, hint: err.hint, ...err.details },
      `${err.message} — needs an operator; retrying slowly, further occurrences are not logged until it clears`,
    );
    return true;
  }

  /** A success: every active alert is resolved (logged once) and may be reported again later. */
  resolve(): void {
    for (const [code, count] of this.active) {
      this.logger.info({ code, occurrences: count }, `resolved: ${code} no longer occurs`);
    }
    this.active.clear();
  }

  /** The upload pipeline's names: a failed attempt (any class) and a successful upload. */
  failure(err: TvmError): void {
    this.report(err);
  }

  success(): void {
    this.resolve();
  }

  /** Codes currently alerting, for /status. */
  activeCodes(): readonly ErrorCode[] {
    return [...this.active.keys()];
  }
}
