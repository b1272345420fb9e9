/**
 * Which catalog error each S3 / network failure becomes decides what happens to the file: retried
 * with backoff, or parked until an operator fixes the configuration. Every name the SDK or Node may
 * report is listed here once, as the specification; an unknown name falls through to INTERNAL.
 */
import { expect } from 'chai';
import { ErrorCodes, type TvmError } from '../../../../src/errors.js';
import { classify } from '../../../../src/sinks/s3/classify.js';

const named = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`the server said ${name}`), { name, ...extra });
const ctx = { bucket: 'logs', key: 'veh/2026-12-07/ros/a.log.gz', operation: 'PutObject' };

const TABLE: ReadonlyArray<readonly [code: string, retriability: string, names: readonly string[]]> = [
  [ErrorCodes.S3_NO_SUCH_BUCKET, 'operator', ['NoSuchBucket']],
  [ErrorCodes.S3_ACCESS_DENIED, 'operator', [
    'AccessDenied', 'AllAccessDisabled', 'AccountProblem', 'NotSignedUp', 'InvalidPayer',
    'KMS.AccessDeniedException', 'KMS.DisabledException', 'KMS.NotFoundException', 'KMS.KMSInvalidStateException',
  ]],
  [ErrorCodes.S3_CREDENTIALS, 'operator', [
    'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'InvalidToken',
    'TokenRefreshRequired', 'CredentialsProviderError', 'InvalidClientTokenId', 'UnrecognizedClientException',
    'MissingSecurityHeader', 'MissingAuthenticationToken',
  ]],
  [ErrorCodes.S3_INTEGRITY, 'retriable', ['BadDigest', 'InvalidDigest', 'XAmzContentSHA256Mismatch', 'ChecksumMismatch']],
  [ErrorCodes.S3_TOO_LARGE, 'permanent', ['EntityTooLarge']],
  [ErrorCodes.S3_REJECTED, 'operator', [
    'PermanentRedirect', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException', 'InvalidBucketName',
    'InvalidStorageClass', 'InvalidEncryptionAlgorithmError',
  ]],
  [ErrorCodes.S3_TRANSIENT, 'retriable', [
    'SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'RequestTimeoutException', 'Throttling',
    'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException',
    'RequestLimitExceeded', 'BandwidthLimitExceeded', 'PriorRequestNotComplete', 'OperationAborted', 'TemporaryRedirect',
    'RequestTimeTooSkewed', 'IncompleteBody', 'TimeoutError', 'AbortError', 'NetworkingError',
    'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH',
    'ECONNABORTED', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL', 'EPROTO', 'ERR_STREAM_PREMATURE_CLOSE',
    'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_HTTP2_STREAM_ERROR',
  ]],
];

describe('sinks/s3/classify', () => {
  for (const [code, retriability, names] of TABLE) {
    it(`classifies ${names.length} failure name(s) as ${code} (${retriability}), by name or by error code`, () => {
      for (const name of names) {
        const byName = classify(named(name), ctx);
        expect([byName.code, byName.retriability], name).to.deep.equal([code, retriability]);
        const byCode = classify(Object.assign(new Error('x'), { code: name }), ctx);
        expect(byCode.code, `${name} as code`).to.equal(code);
      }
    });
  }

  it('an unknown name without a status is an internal error, retried rather than dropped', () => {
    const e = classify(named('SomethingNew'), ctx);
    expect([e.code, e.retriability]).to.deep.equal([ErrorCodes.INTERNAL, 'retriable']);
  });

  it('says what failed, for which object, why, and what to do', () => {
    const e: TvmError = classify(named('AccessDenied', { $metadata: { httpStatusCode: 403, requestId: 'R1' } }), ctx);
    expect(e.message).to.equal('PutObject: access denied to s3://logs/veh/2026-12-07/ros/a.log.gz (AccessDenied, HTTP 403): the server said AccessDenied');
    expect(e.details).to.deep.include({ bucket: 'logs', key: ctx.key, operation: 'PutObject', s3Code: 'AccessDenied', httpStatus: 403 });
    expect(e.hint).to.match(/s3:PutObject/).and.match(/KMS key policy/).and.match(/credentials are the ones in use/);
  });

  it('names the bucket alone when there is no key, and the fix for each operator problem', () => {
    expect(classify(named('NoSuchBucket'), { bucket: 'logs' }).message).to.equal('bucket "logs" does not exist (NoSuchBucket): the server said NoSuchBucket');
    expect(classify(named('NoSuchBucket'), { bucket: 'logs' }).hint).to.match(/create the bucket/).and.match(/s3\.region/);
    const cred = classify(named('ExpiredToken'), ctx);
    expect(cred.message).to.match(/^PutObject: AWS credentials are missing, invalid or expired/);
    expect(cred.hint).to.match(/AWS_PROFILE/).and.match(/system clock/);
    const wrongRegion = classify(named('PermanentRedirect'), ctx);
    expect(wrongRegion.message).to.match(/because of the bucket, region or encryption settings/);
    expect(wrongRegion.hint).to.match(/s3\.region/);
    const corrupt = classify(named('BadDigest'), ctx);
    expect(corrupt.message).to.match(/rejected the body of s3:\/\/logs\/.* as corrupt/);
    expect(corrupt.hint).to.match(/disk and memory/);
  });

  it('falls back on the HTTP status when the name says nothing', () => {
    const byStatus = (status: number) => classify(Object.assign(new Error('x'), { $metadata: { httpStatusCode: status } }), ctx);
    expect(byStatus(401).code).to.equal(ErrorCodes.S3_CREDENTIALS);
    expect(byStatus(403).code).to.equal(ErrorCodes.S3_ACCESS_DENIED);
    expect(byStatus(413).code).to.equal(ErrorCodes.S3_TOO_LARGE);
    expect(byStatus(301).code).to.equal(ErrorCodes.S3_REJECTED);
    expect([byStatus(301).retriability, byStatus(400).retriability]).to.deep.equal(['operator', 'retriable']);
    for (const s of [408, 429, 500, 503]) expect(byStatus(s).code, String(s)).to.equal(ErrorCodes.S3_TRANSIENT);
    expect(byStatus(400).code).to.equal(ErrorCodes.S3_REJECTED);
    expect(byStatus(404).code).to.equal(ErrorCodes.S3_REJECTED);
  });

  it('reads credential, checksum and socket problems from messages when nothing else names them', () => {
    expect(classify(new Error('Could not load credentials from any providers'), ctx).code).to.equal(ErrorCodes.S3_CREDENTIALS);
    expect(classify(new Error('Checksum mismatch for part 3'), ctx).code).to.equal(ErrorCodes.S3_INTEGRITY);
    expect(classify(new Error('socket hang up'), ctx).code).to.equal(ErrorCodes.S3_TRANSIENT);
  });
});
