/**
 * The error catalog: every failure tvm-upload reports carries a stable `TVM_ERR_*` code, a
 * human message that names the key or file involved, an optional cause, and whether retrying
 * can help. Code matches on `code`, never on message text. docs/ERRORS.md lists the same codes
 * (a unit test keeps the two in step).
 */

export const ErrorCodes = {
  /** Configuration file unreadable, not YAML, or failing validation. Exit code 2. */
  CONFIG_INVALID: 'TVM_ERR_CONFIG_INVALID',
  /** Command-line usage error. Exit code 2. */
  USAGE: 'TVM_ERR_USAGE',
  /** The state database could not be opened, migrated or written. */
  STATE_UNAVAILABLE: 'TVM_ERR_STATE_UNAVAILABLE',
  /** The state database was corrupt and has been moved aside and rebuilt. */
  STATE_CORRUPT: 'TVM_ERR_STATE_CORRUPT',
  /** A legacy (Python reference) queue or registry file could not be parsed. */
  LEGACY_IMPORT: 'TVM_ERR_LEGACY_IMPORT',
  /** A watched directory could not be created or read. */
  WATCH_DIR: 'TVM_ERR_WATCH_DIR',
  /** A file disappeared before it could be compressed or uploaded. */
  FILE_VANISHED: 'TVM_ERR_FILE_VANISHED',
  /** A file could not be read (permissions, I/O error). */
  FILE_UNREADABLE: 'TVM_ERR_FILE_UNREADABLE',
  /** A file changed while it was being compressed; it will be picked up again once stable. */
  FILE_CHANGED: 'TVM_ERR_FILE_CHANGED',
  /** The file name cannot be turned into a valid S3 object key. */
  KEY_INVALID: 'TVM_ERR_KEY_INVALID',
  /** The object key already holds other bytes (conditional write refused, or seen on a check); the next version is used. */
  KEY_TAKEN: 'TVM_ERR_KEY_TAKEN',
  /** The configured codec is not available on this machine (e.g. zstd-napi missing). */
  CODEC_UNAVAILABLE: 'TVM_ERR_CODEC_UNAVAILABLE',
  /** A compression worker crashed or returned an unknown message. */
  WORKER_FAILED: 'TVM_ERR_WORKER_FAILED',
  /** The local disk (spool or state) is full. */
  DISK_FULL: 'TVM_ERR_DISK_FULL',
  /** The bucket does not exist. Needs an operator. */
  S3_NO_SUCH_BUCKET: 'TVM_ERR_S3_NO_SUCH_BUCKET',
  /** Access denied by IAM or bucket policy. Needs an operator. */
  S3_ACCESS_DENIED: 'TVM_ERR_S3_ACCESS_DENIED',
  /** Credentials missing, invalid, expired or mis-signed. Needs an operator. */
  S3_CREDENTIALS: 'TVM_ERR_S3_CREDENTIALS',
  /** The server rejected the body as corrupt (checksum mismatch). Retried. */
  S3_INTEGRITY: 'TVM_ERR_S3_INTEGRITY',
  /** The object is larger than S3 allows. */
  S3_TOO_LARGE: 'TVM_ERR_S3_TOO_LARGE',
  /** Throttling, 5xx, timeouts, connection resets: transient. */
  S3_TRANSIENT: 'TVM_ERR_S3_TRANSIENT',
  /** A 4xx the catalog does not know; retried with backoff and reported. */
  S3_REJECTED: 'TVM_ERR_S3_REJECTED',
  /** An upload made no progress for upload.stall_timeout_seconds; aborted and retried from its checkpoint. */
  UPLOAD_STALLED: 'TVM_ERR_UPLOAD_STALLED',
  /** CloudWatch publish failed. */
  CLOUDWATCH: 'TVM_ERR_CLOUDWATCH',
  /** Shutdown deadline passed with work still in flight (checkpointed, resumes on restart). */
  SHUTDOWN_TIMEOUT: 'TVM_ERR_SHUTDOWN_TIMEOUT',
  /** A bug: an invariant did not hold. */
  INTERNAL: 'TVM_ERR_INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** How the retry policy treats an error. `operator` = retried slowly, logged loudly once per class. */
export type Retriability = 'retriable' | 'permanent' | 'operator';

export interface TvmErrorOptions {
  cause?: unknown;
  retriability?: Retriability;
  /** Extra structured fields for logs (path, key, bucket …). Never credentials. */
  details?: Record<string, unknown>;
  /** One sentence telling the operator what to do. */
  hint?: string;
}

export class TvmError extends Error {
  readonly code: ErrorCode;
  readonly retriability: Retriability;
  readonly details: Record<string, unknown>;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: TvmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TvmError';
    this.code = code;
    this.retriability = options.retriability ?? 'retriable';
    this.details = options.details ?? {};
    this.hint = options.hint;
  }

  get retriable(): boolean {
    return this.retriability !== 'permanent';
  }
}

/** A configuration problem: one line per issue, all reported at once. */
export class ConfigError extends TvmError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], file?: string) {
    const head = file ? `invalid configuration in ${file}:` : 'invalid configuration:';
    super(ErrorCodes.CONFIG_INVALID, [head, ...problems.map((p) => `  - ${p}`)].join('\n'), {
      retriability: 'permanent',
      details: file ? { file } : {},
    });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function isTvmError(err: unknown): err is TvmError {
  return err instanceof TvmError;
}

/** Node system error code (ENOENT, EACCES, ENOSPC …) if any. */
export function systemCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    return (err as { code: string }).code;
  }
  return undefined;
}
