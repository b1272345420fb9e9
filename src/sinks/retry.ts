/**
 * THE retry policy: the one place that decides what a failure leads to — retry, restabilize (the
 * input changed), remove (the input is gone) or park (retrying soon cannot help) — and how long to
 * wait. Stages never sleep-and-retry on their own; they ask `RetryPolicy.decide()` and persist the
 * answer (attempts, next time). Errors are classified once, by the classifier the sink passes in
 * (s3/classify.ts for uploads), so this file imports no sink.
 *
 * Backoff is capped exponential with full jitter: delay = random() × min(max, base × 2^(n−1)).
 * Operator-class errors (missing bucket, denied access, bad credentials) wait at least
 * min(max, 300 s) so a misconfiguration never spins. After `maxAttempts` a file is parked at
 * `maxSeconds` intervals: retried forever, never dropped. No delay exceeds the claim's clock-jump
 * horizon (state/fair-claim.ts): a retry time further ahead than that is read as a wall clock set
 * back and made due at once, so a longer wait would silently become no wait at all.
 */
import type { UploadConfig } from '../config/types.js';
import { ErrorCodes, TvmError, type Retriability } from '../errors.js';
import { MAX_RETRY_HORIZON_MS } from '../state/fair-claim.js';
import { errorSignals } from './error-chain.js';

export { OperatorAlerts } from './operator-alerts.js';

export interface BackoffPolicy {
  readonly baseSeconds: number;
  readonly maxSeconds: number;
  readonly maxAttempts: number;
}

/**
 * Backoff after the local state store refused a read or write (SQLITE_FULL, IOERR, BUSY …): 1 s
 * doubling to at most 60 s, no jitter (one process, one store). Used by the dispatcher, intake and
 * housekeeping, which retry the whole pass rather than one file.
 */
export function stateRetryDelayMs(failures: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.max(0, failures - 1));
}

/** Operator-class errors wait at least this long (or maxSeconds if that is shorter). */
export const OPERATOR_FLOOR_SECONDS = 300;

/**
 * Milliseconds to wait after failed attempt number `attempt` (1-based) before the next one.
 * `random` must return a number in [0, 1); inject it in tests.
 */
export function nextDelayMs(attempt: number, policy: BackoffPolicy, err: TvmError, random: () => number = Math.random): number {
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  const maxMs = Math.max(0, policy.maxSeconds * 1000);
  if (n > policy.maxAttempts) return maxMs;
  const capMs = Math.min(maxMs, Math.max(0, policy.baseSeconds * 1000) * 2 ** (n - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = r * capMs;
  if (err.retriability === 'operator') {
    return Math.max(Math.min(maxMs, OPERATOR_FLOOR_SECONDS * 1000), jittered);
  }
  return jittered;
}

/** What to do with a failed unit of work (a file's upload, a watch, a publish). */
export type RetryAction =
  /** Try again after `delayMs` (capped exponential backoff with full jitter). */
  | 'retry'
  /** The input changed while it was read: look at it again once it has been quiet. */
  | 'restabilize'
  /** The input itself is gone: forget it (nothing to retry). */
  | 'remove'
  /** Retrying soon cannot help (permanent error, or attempts exhausted): wait long, never drop. */
  | 'park';

export interface RetryDecision {
  readonly action: RetryAction;
  /** Wait before the next attempt (0 for remove). */
  readonly delayMs: number;
  /** Why, in words for the log. */
  readonly reason: string;
  /** The failure as a catalog error (classified once, by the classifier the policy was given). */
  readonly error: TvmError;
}

export interface Failure {
  /** 1-based number of the attempt that failed. */
  readonly attempt: number;
  readonly error: unknown;
  /** The caller checked that the source itself is gone (a FILE_VANISHED error alone may be the spool's). */
  readonly sourceGone?: boolean;
}

/** Turns any thrown value into a catalog error; each sink passes its own (e.g. s3/classify.ts). */
export type Classifier = (err: unknown) => TvmError;

export interface RetryRules {
  readonly classify?: Classifier;
  /** Quiet period before a changed input is looked at again (upload.file_stable_seconds); 1 s to MAX_RETRY_HORIZON_MS. */
  readonly settleMs?: number;
  /**
   * Error classes that park at once: retrying soon cannot help them. Default ['permanent'] (parked
   * for PERMANENT_RETRY_MS). Optional work that a person must unblock adds 'operator'; a queue that
   * must never stall on one bad class (the metrics outbox) passes [] and backs off for everything.
   */
  readonly parks?: readonly Retriability[];
}

/** How long a failure that retrying cannot heal waits (the file may have been renamed or fixed meanwhile). */
export const PERMANENT_RETRY_MS = 24 * 3600 * 1000;

/** Without a sink's classifier: catalog errors (also wrapped) as they are, anything else INTERNAL and retried. */
export function catalogOnly(err: unknown): TvmError {
  if (err instanceof TvmError) return err;
  const signals = errorSignals(err);
  return signals.tvm ?? new TvmError(ErrorCodes.INTERNAL, `unexpected error: ${signals.messages[0] ?? String(err)}`, { cause: err, retriability: 'retriable' });
}

export class RetryPolicy {
  readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly classifier: Classifier;
  private readonly settleMs: number;
  private readonly parks: ReadonlySet<Retriability>;

  constructor(backoff: BackoffPolicy, random: () => number = Math.random, rules: RetryRules = {}) {
    const tooLong = backoff.maxSeconds * 1000 > MAX_RETRY_HORIZON_MS;
    if (!(backoff.baseSeconds >= 0) || !(backoff.maxSeconds >= 0) || tooLong || !(backoff.maxAttempts >= 1)) {
      throw new TvmError(ErrorCodes.INTERNAL, `invalid retry policy ${JSON.stringify(backoff)}`, { retriability: 'permanent' });
    }
    this.backoff = { ...backoff };
    this.random = random;
    this.classifier = rules.classify ?? catalogOnly;
    this.settleMs = Math.min(Math.max(rules.settleMs ?? 0, 1000), MAX_RETRY_HORIZON_MS);
    this.parks = new Set(rules.parks ?? ['permanent']);
  }

  /** upload.retry's backoff, upload.file_stable_seconds as the settle time, and the sink's classifier. */
  static fromConfig(upload: Pick<UploadConfig, 'retry'> & Partial<Pick<UploadConfig, 'fileStableSeconds'>>, random?: () => number, classify?: Classifier): RetryPolicy {
    return new RetryPolicy(upload.retry, random, { settleMs: (upload.fileStableSeconds ?? 0) * 1000, ...(classify ? { classify } : {}) });
  }

  classify(err: unknown): TvmError {
    return this.classifier(err);
  }

  /** nextDelayMs() with this policy and its random source. */
  nextDelayMs(attempt: number, err: TvmError): number {
    return nextDelayMs(attempt, this.backoff, err, this.random);
  }

  /** THE decision: classifies the failure once and says what to do next, and after how long. */
  decide(f: Failure): RetryDecision {
    const error = this.classifier(f.error);
    if (error.code === ErrorCodes.FILE_VANISHED && f.sourceGone === true) {
      return { action: 'remove', delayMs: 0, reason: 'the source is gone', error };
    }
    if (error.code === ErrorCodes.FILE_CHANGED) {
      return { action: 'restabilize', delayMs: this.settleMs, reason: 'it changed while it was read; looked at again once quiet', error };
    }
    if (this.parks.has(error.retriability)) {
      return error.retriability === 'permanent'
        ? { action: 'park', delayMs: PERMANENT_RETRY_MS, reason: 'a permanent error: looked at again once a day', error }
        : { action: 'park', delayMs: this.nextDelayMs(f.attempt, error), reason: `${error.retriability}-class error: retrying soon cannot help`, error };
    }
    const delayMs = this.nextDelayMs(f.attempt, error);
    if (f.attempt > this.backoff.maxAttempts) {
      return { action: 'park', delayMs, reason: `${this.backoff.maxAttempts} attempts failed: tried every ${this.backoff.maxSeconds} s`, error };
    }
    return { action: 'retry', delayMs, reason: `${error.retriability} error: backoff`, error };
  }
}
