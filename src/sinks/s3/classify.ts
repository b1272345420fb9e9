/**
 * The S3 error table: maps what S3 (or an S3-compatible server, or the network underneath)
 * said into one catalog code with a retriability and a hint. It reads error *signals*
 * (error-chain.ts), so wrapped and cause-chained SDK errors classify the same as bare ones,
 * on PutObject, every multipart call and HEAD alike. Returns null when nothing in the error
 * is S3- or network-specific.
 *
 * `classify` is the upload path's one classifier (every failure of a file's upload, from the
 * source read to the last S3 call): it is what the daemon hands the retry policy (sinks/retry.ts,
 * which imports no sink).
 */
import { ErrorCodes, TvmError, type ErrorCode, type Retriability } from '../../errors.js';
import { errorSignals, hasAny, type ErrorSignals } from '../error-chain.js';
import { classifyFsSignals } from '../fs-errors.js';

export interface S3ErrorContext {
  readonly bucket?: string;
  readonly key?: string;
  /** The S3 operation that failed, for the message (PutObject, UploadPart …). */
  readonly operation?: string;
}

interface Rule {
  readonly code: ErrorCode;
  readonly retriability: Retriability;
  readonly what: (target: string, bucket: string) => string;
  readonly hint: string;
}

const set = (...xs: string[]): ReadonlySet<string> => new Set(xs);

const NO_SUCH_BUCKET = set('NoSuchBucket');
const ACCESS_DENIED = set(
  'AccessDenied', 'AllAccessDisabled', 'AccountProblem', 'NotSignedUp', 'InvalidPayer',
  'KMS.AccessDeniedException', 'KMS.DisabledException', 'KMS.NotFoundException', 'KMS.KMSInvalidStateException',
);
const CREDENTIALS = set(
  'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'InvalidToken',
  'TokenRefreshRequired', 'CredentialsProviderError', 'InvalidClientTokenId', 'UnrecognizedClientException',
  'MissingSecurityHeader', 'MissingAuthenticationToken',
);
const INTEGRITY = set('BadDigest', 'InvalidDigest', 'XAmzContentSHA256Mismatch', 'ChecksumMismatch');
const TOO_LARGE = set('EntityTooLarge');
/** Wrong region or unusable bucket/encryption settings: only a configuration change helps. */
const MISCONFIGURED = set(
  'PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException', 'InvalidBucketName',
  'InvalidStorageClass', 'InvalidEncryptionAlgorithmError',
);
const TRANSIENT = set(
  'SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'RequestTimeoutException', 'Throttling',
  'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException',
  'RequestLimitExceeded', 'BandwidthLimitExceeded', 'PriorRequestNotComplete', 'OperationAborted', 'TemporaryRedirect',
  'RequestTimeTooSkewed', 'IncompleteBody', 'TimeoutError', 'AbortError', 'NetworkingError',
  'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH',
  'ECONNABORTED', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL', 'EPROTO', 'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_HTTP2_STREAM_ERROR',
);

const target = (ctx: S3ErrorContext): string => {
  const b = ctx.bucket ?? '?';
  return ctx.key === undefined ? `bucket "${b}"` : `s3://${b}/${ctx.key}`;
};

const RULES = {
  noSuchBucket: {
    code: ErrorCodes.S3_NO_SUCH_BUCKET,
    retriability: 'operator',
    what: (_t, b) => `bucket "${b}" does not exist`,
    hint: 'create the bucket, or fix s3.bucket / s3.region (and s3.endpoint) in the configuration',
  },
  accessDenied: {
    code: ErrorCodes.S3_ACCESS_DENIED,
    retriability: 'operator',
    what: (t) => `access denied to ${t}`,
    hint:
      "grant this vehicle's IAM identity s3:PutObject (plus s3:GetObject, s3:ListBucket, s3:ListMultipartUploadParts, " +
      's3:AbortMultipartUpload) on the bucket, check the bucket policy and any KMS key policy, and that the intended ' +
      'credentials are the ones in use',
  },
  credentials: {
    code: ErrorCodes.S3_CREDENTIALS,
    retriability: 'operator',
    what: () => 'AWS credentials are missing, invalid or expired',
    hint:
      'check the credentials of s3.profile / AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ' +
      'and that the system clock is correct',
  },
  integrity: {
    code: ErrorCodes.S3_INTEGRITY,
    retriability: 'retriable',
    what: (t) => `the server rejected the body of ${t} as corrupt`,
    hint: 'retried automatically; if it keeps happening, check the disk and memory of this machine',
  },
  tooLarge: {
    code: ErrorCodes.S3_TOO_LARGE,
    retriability: 'permanent',
    what: (t) => `${t} is larger than S3 accepts for one request`,
    hint: 'objects above one part are sent as multipart; raise upload.part_size_mb if the part itself is too large',
  },
  misconfigured: {
    code: ErrorCodes.S3_REJECTED,
    retriability: 'operator',
    what: (t) => `S3 rejected the request for ${t} because of the bucket, region or encryption settings`,
    hint: 'check s3.region (the bucket may live in another region), s3.bucket, s3.storage_class and s3.server_side_encryption',
  },
  transient: {
    code: ErrorCodes.S3_TRANSIENT,
    retriability: 'retriable',
    what: (t) => `transient failure talking to S3 for ${t}`,
    hint: 'retried automatically with backoff; if it persists, check network connectivity and s3.endpoint',
  },
  rejected: {
    code: ErrorCodes.S3_REJECTED,
    retriability: 'retriable',
    what: (t) => `S3 rejected the request for ${t}`,
    hint: 'retried with backoff; if it persists, report the S3 error code',
  },
} satisfies Record<string, Rule>;

const CHECKSUM_MESSAGE = /checksum.{0,40}(mismatch|does not match|did not match)|(mismatch|does not match).{0,40}checksum/i;
const CREDENTIAL_MESSAGE = /could not load credentials|credential.{0,40}(missing|expired|not found)/i;
const SOCKET_MESSAGE = /socket hang up|socket timed out|ECONNRESET|network (is )?unreachable/i;

function pick(signals: ErrorSignals): { rule: Rule; matched: string | undefined } | null {
  let m: string | undefined;
  if ((m = hasAny(signals, NO_SUCH_BUCKET))) return { rule: RULES.noSuchBucket, matched: m };
  if ((m = hasAny(signals, CREDENTIALS))) return { rule: RULES.credentials, matched: m };
  if (signals.messages.some((x) => CREDENTIAL_MESSAGE.test(x))) return { rule: RULES.credentials, matched: undefined };
  if ((m = hasAny(signals, ACCESS_DENIED))) return { rule: RULES.accessDenied, matched: m };
  if ((m = hasAny(signals, INTEGRITY))) return { rule: RULES.integrity, matched: m };
  if (signals.messages.some((x) => CHECKSUM_MESSAGE.test(x))) return { rule: RULES.integrity, matched: undefined };
  if ((m = hasAny(signals, TOO_LARGE))) return { rule: RULES.tooLarge, matched: m };
  if ((m = hasAny(signals, MISCONFIGURED))) return { rule: RULES.misconfigured, matched: m };
  if ((m = hasAny(signals, TRANSIENT))) return { rule: RULES.transient, matched: m };
  if (signals.throttling) return { rule: RULES.transient, matched: 'throttling' };
  if (signals.messages.some((x) => SOCKET_MESSAGE.test(x))) return { rule: RULES.transient, matched: undefined };
  return byStatus(signals.status);
}

function byStatus(status: number | undefined): { rule: Rule; matched: string | undefined } | null {
  if (status === undefined) return null;
  const matched = `HTTP ${status}`;
  if (status === 401) return { rule: RULES.credentials, matched };
  if (status === 403) return { rule: RULES.accessDenied, matched };
  if (status === 413) return { rule: RULES.tooLarge, matched };
  if (status === 301) return { rule: RULES.misconfigured, matched };
  if (status === 408 || status === 429 || status >= 500) return { rule: RULES.transient, matched };
  if (status >= 400) return { rule: RULES.rejected, matched };
  return null;
}

/** Classifies an S3/network failure, or returns null when the signals are not S3-specific. */
export function classifyS3Signals(err: unknown, signals: ErrorSignals, ctx: S3ErrorContext = {}): TvmError | null {
  const picked = pick(signals);
  if (picked === null) return null;
  const { rule, matched } = picked;
  const s3Code = signals.codes[0] ?? signals.names[0];
  const why = [matched ?? s3Code, signals.status === undefined ? undefined : `HTTP ${signals.status}`]
    .filter((x, i, a) => x !== undefined && a.indexOf(x) === i)
    .join(', ');
  const detail = signals.messages[0];
  const op = ctx.operation === undefined ? '' : `${ctx.operation}: `;
  const message = `${op}${rule.what(target(ctx), ctx.bucket ?? '?')}${why ? ` (${why})` : ''}${detail ? `: ${detail}` : ''}`;
  const details: Record<string, unknown> = {};
  if (ctx.bucket !== undefined) details.bucket = ctx.bucket;
  if (ctx.key !== undefined) details.key = ctx.key;
  if (ctx.operation !== undefined) details.operation = ctx.operation;
  if (s3Code !== undefined) details.s3Code = s3Code;
  if (signals.status !== undefined) details.httpStatus = signals.status;
  if (signals.requestId !== undefined) details.requestId = signals.requestId;
  return new TvmError(rule.code, message, { cause: err, retriability: rule.retriability, details, hint: rule.hint });
}

export type ClassifyContext = S3ErrorContext & { readonly path?: string };

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
  const fs = classifyFsSignals(err, signals, ctx);
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
