/**
 * THE retry policy: the one place that decides whether a failure is retriable, permanent or
 * needs an operator, and how long to wait before the next attempt. Stages never sleep-and-retry
 * on their own; they ask `RetryPolicy.decide()` and persist the answer (attempts, next time).
 *
 * Backoff is capped exponential with full jitter: delay = random() × min(max, base × 2^(n−1)).
 * Operator-class errors (missing bucket, denied access, bad credentials) wait at least
 * min(max, 300 s) so a misconfiguration never spins. After `maxAttempts` a file is parked at
 * `maxSeconds` intervals: retried forever, never dropped.
 */
import type { UploadConfig } from '../config/types.js';
import { ErrorCodes, TvmError, type ErrorCode, type Retriability } from '../errors.js';
import { errorSignals, type ErrorSignals } from './error-chain.js';
import { classifyS3Signals, type S3ErrorContext } from './s3/classify.js';

export { OperatorAlerts } from './operator-alerts.js';

export interface BackoffPolicy {
  readonly baseSeconds: number;
  readonly maxSeconds: number;
  readonly maxAttempts: number;
}

/** Operator-class errors wait at least this long (or maxSeconds if that is shorter). */
export const OPERATOR_FLOOR_SECONDS = 300;

export type ClassifyContext = S3ErrorContext & { readonly path?: string };

const FS_RULES: Record<string, { code: ErrorCode; retriability: Retriability; what: string; hint: string }> = {
  ENOENT: {
    code: ErrorCodes.FILE_VANISHED,
    retriability: 'retriable',
    what: 'disappeared before it could be uploaded',
    hint: 'the file is picked up again if it reappears; a missing spool file is recompressed',
  },
  EACCES: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'operator',
    what: 'cannot be read (permission denied)',
    hint: 'give the tvm-upload user read access to the log directory',
  },
  EPERM: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'operator',
    what: 'cannot be read (operation not permitted)',
    hint: 'give the tvm-upload user read access to the log directory',
  },
  EISDIR: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'permanent',
    what: 'is a directory',
    hint: 'only regular files are uploaded',
  },
  EIO: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'retriable',
    what: 'cannot be read (I/O error)',
    hint: 'check the disk holding the logs',
  },
  ELOOP: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'operator',
    what: 'cannot be reached (too many levels of symbolic links)',
    hint: 'a symbolic-link loop in the path; fix the links in the log directory',
  },
  EMFILE: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'retriable',
    what: 'cannot be opened (too many open files)',
    hint: 'raise the open-file limit (LimitNOFILE) or lower upload.concurrency',
  },
  ENOSPC: {
    code: ErrorCodes.DISK_FULL,
    retriability: 'retriable',
    what: 'cannot be processed: the disk is full',
    hint: 'free space on the spool/state filesystem',
  },
};

function classifyFs(err: unknown, signals: ErrorSignals, ctx: ClassifyContext): TvmError | null {
  const sys = signals.codes.find((c) => c in FS_RULES);
  if (sys === undefined) return null;
  const rule = FS_RULES[sys]!;
  const path = ctx.path ?? findPath(err) ?? ctx.key ?? '?';
  const details: Record<string, unknown> = { path, syscallCode: sys };
  if (ctx.bucket !== undefined) details.bucket = ctx.bucket;
  if (ctx.key !== undefined) details.key = ctx.key;
  return new TvmError(rule.code, `${path} ${rule.what}`, {
    cause: err,
    retriability: rule.retriability,
    details,
    hint: rule.hint,
  });
}

function findPath(err: unknown): string | undefined {
  for (let e = err, i = 0; e && typeof e === 'object' && i < 8; e = (e as { cause?: unknown }).cause, i++) {
    const p = (e as { path?: unknown }).path;
    if (typeof p === 'string') return p;
  }
  return undefined;
}

/**
 * Turns any failure into a catalog error. TvmErrors (also when wrapped) pass through; S3 and
 * network failures are classified by s3/classify.ts; file-system errors map to FILE_* or DISK_FULL;
 * anything else is INTERNAL and retried (a bug must not lose a file).
 */
export function classify(err: unknown, ctx: ClassifyContext = {}): TvmError {
  if (err instanceof TvmError) return err;
  const signals = errorSignals(err);
  if (signals.tvm !== undefined) return signals.tvm;
  const s3 = classifyS3Signals(err, signals, ctx);
  if (s3 !== null) return s3;
  const fs = classifyFs(err, signals, ctx);
  if (fs !== null) return fs;
  const message = signals.messages[0] ?? String(err);
  const details: Record<string, unknown> = {};
  if (ctx.bucket !== undefined) details.bucket = ctx.bucket;
  if (ctx.key !== undefined) details.key = ctx.key;
  if (ctx.path !== undefined) details.path = ctx.path;
  return new TvmError(ErrorCodes.INTERNAL, `unexpected error${ctx.key ? ` uploading ${ctx.key}` : ''}: ${message}`, {
    cause: err,
    retriability: 'retriable',
    details,
    hint: 'retried with backoff; please report this error with the log line',
  });
}

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

export interface RetryDecision {
  readonly error: TvmError;
  /** False for permanent errors: retrying cannot help. */
  readonly retry: boolean;
  /** Wait before the next attempt (0 when not retried). */
  readonly delayMs: number;
  /** True once attempts are exhausted: the file waits maxSeconds between tries. */
  readonly parked: boolean;
}

export class RetryPolicy {
  readonly backoff: BackoffPolicy;
  private readonly random: () => number;

  constructor(backoff: BackoffPolicy, random: () => number = Math.random) {
    if (!(backoff.baseSeconds >= 0) || !(backoff.maxSeconds >= 0) || !(backoff.maxAttempts >= 1)) {
      throw new TvmError(ErrorCodes.INTERNAL, `invalid retry policy ${JSON.stringify(backoff)}`, { retriability: 'permanent' });
    }
    this.backoff = { ...backoff };
    this.random = random;
  }

  static fromConfig(upload: Pick<UploadConfig, 'retry'>, random?: () => number): RetryPolicy {
    return new RetryPolicy(upload.retry, random);
  }

  classify(err: unknown, ctx?: ClassifyContext): TvmError {
    return classify(err, ctx);
  }

  /** nextDelayMs() with this policy and its random source. */
  nextDelayMs(attempt: number, err: TvmError): number {
    return nextDelayMs(attempt, this.backoff, err, this.random);
  }

  /** Classifies `err` (the failure of attempt number `attempt`) and says what to do next. */
  decide(attempt: number, err: unknown, ctx?: ClassifyContext): RetryDecision {
    const error = classify(err, ctx);
    if (error.retriability === 'permanent') return { error, retry: false, delayMs: 0, parked: false };
    return { error, retry: true, delayMs: this.nextDelayMs(attempt, error), parked: attempt > this.backoff.maxAttempts };
  }
}
