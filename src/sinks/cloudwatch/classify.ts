/**
 * The CloudWatch error table: turns whatever a CloudWatch call threw into one TVM_ERR_CLOUDWATCH
 * error whose retriability tells the publisher how to wait: `operator` (denied access, bad
 * credentials: only a person can fix it, retried slowly and logged once) or `retriable`
 * (throttling, 5xx, network, anything unknown). Nothing is `permanent`: the outbox keeps the data
 * until CloudWatch takes it or it ages past what CloudWatch accepts. It reads the shared error
 * signals (error-chain.ts) so wrapped SDK errors classify like bare ones.
 */
import { ErrorCodes, TvmError, type Retriability } from '../../errors.js';
import { errorSignals, hasAny, type ErrorSignals } from '../error-chain.js';

const set = (...xs: string[]): ReadonlySet<string> => new Set(xs);

const CREDENTIALS = set(
  'InvalidClientTokenId', 'UnrecognizedClientException', 'ExpiredToken', 'ExpiredTokenException', 'InvalidToken',
  'SignatureDoesNotMatch', 'IncompleteSignature', 'InvalidSignatureException', 'MissingAuthenticationToken',
  'MissingAuthenticationTokenException', 'CredentialsProviderError', 'InvalidAccessKeyId', 'TokenRefreshRequired',
);
const ACCESS_DENIED = set('AccessDenied', 'AccessDeniedException', 'NotAuthorized', 'OptInRequired');
const INVALID = set(
  'InvalidParameterValue', 'InvalidParameterValueException', 'InvalidParameterCombination',
  'InvalidParameterCombinationException', 'MissingParameter', 'MissingRequiredParameter', 'InvalidParameterInput',
  'ValidationError', 'ValidationException', 'SerializationException',
);
const TRANSIENT = set(
  'Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
  'LimitExceeded', 'LimitExceededException', 'LimitExceededFault', 'InternalServiceError', 'InternalServiceFault', 'InternalFailure',
  'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException', 'RequestExpired',
  'TimeoutError', 'AbortError', 'NetworkingError', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN',
  'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL', 'EPROTO',
  'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
);
const CREDENTIAL_MESSAGE = /could not load credentials|credential.{0,40}(missing|expired|not found)/i;

interface Rule {
  readonly retriability: Retriability;
  readonly what: string;
  readonly hint: string;
}

const RULES = {
  credentials: {
    retriability: 'operator',
    what: 'AWS credentials for CloudWatch are missing, invalid or expired',
    hint:
      'check the credentials of s3.profile / AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, and that the ' +
      'system clock is correct; metrics wait in the outbox meanwhile',
  },
  accessDenied: {
    retriability: 'operator',
    what: 'CloudWatch denied access',
    hint:
      "grant this vehicle's IAM identity cloudwatch:PutMetricData (and cloudwatch:PutMetricAlarm, " +
      'cloudwatch:DescribeAlarms for the alarms); metrics wait in the outbox meanwhile',
  },
  invalid: {
    retriability: 'retriable',
    what: 'CloudWatch rejected the request as invalid',
    hint: 'retried with backoff; points older than 14 days are dropped automatically. If it persists, report the error',
  },
  transient: {
    retriability: 'retriable',
    what: 'CloudWatch is unreachable or busy',
    hint: 'retried with backoff; metrics wait in the outbox. If it persists, check the network and AWS_ENDPOINT_URL_CLOUDWATCH',
  },
  unknown: {
    retriability: 'retriable',
    what: 'CloudWatch call failed',
    hint: 'retried with backoff; metrics wait in the outbox. If it persists, report the error',
  },
} satisfies Record<string, Rule>;

function pick(s: ErrorSignals): { rule: Rule; matched: string | undefined } {
  let m: string | undefined;
  if ((m = hasAny(s, CREDENTIALS))) return { rule: RULES.credentials, matched: m };
  if (s.messages.some((x) => CREDENTIAL_MESSAGE.test(x))) return { rule: RULES.credentials, matched: undefined };
  if ((m = hasAny(s, ACCESS_DENIED))) return { rule: RULES.accessDenied, matched: m };
  if ((m = hasAny(s, TRANSIENT))) return { rule: RULES.transient, matched: m };
  if (s.throttling) return { rule: RULES.transient, matched: 'throttling' };
  if ((m = hasAny(s, INVALID))) return { rule: RULES.invalid, matched: m };
  const st = s.status;
  if (st === 401) return { rule: RULES.credentials, matched: undefined };
  if (st === 403) return { rule: RULES.accessDenied, matched: undefined };
  if (st !== undefined && (st === 408 || st === 429 || st >= 500)) return { rule: RULES.transient, matched: undefined };
  if (st !== undefined && st >= 400) return { rule: RULES.invalid, matched: undefined };
  return { rule: RULES.unknown, matched: undefined };
}

/**
 * Classifies a failure of the CloudWatch call `operation` (PutMetricData, PutMetricAlarm …).
 * A TvmError is already classified and passes through.
 */
export function classifyCloudWatchError(err: unknown, operation: string): TvmError {
  if (err instanceof TvmError) return err;
  const s = errorSignals(err);
  const { rule, matched } = pick(s);
  const awsCode = s.codes[0] ?? s.names[0];
  const why = [matched ?? awsCode, s.status === undefined ? undefined : `HTTP ${s.status}`]
    .filter((x, i, a) => x !== undefined && a.indexOf(x) === i)
    .join(', ');
  const detail = s.messages[0];
  const details: Record<string, unknown> = { operation };
  if (awsCode !== undefined) details.awsCode = awsCode;
  if (s.status !== undefined) details.httpStatus = s.status;
  if (s.requestId !== undefined) details.requestId = s.requestId;
  return new TvmError(ErrorCodes.CLOUDWATCH, `${operation}: ${rule.what}${why ? ` (${why})` : ''}${detail ? `: ${detail}` : ''}`, {
    cause: err,
    retriability: rule.retriability,
    details,
    hint: rule.hint,
  });
}
