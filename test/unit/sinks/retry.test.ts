import { expect } from 'chai';
import { ErrorCodes, TvmError, type ErrorCode, type Retriability } from '../../../src/errors.js';
import { catalogOnly, nextDelayMs, PERMANENT_RETRY_MS, RetryPolicy, OPERATOR_FLOOR_SECONDS, type RetryRules } from '../../../src/sinks/retry.js';
import { classify } from '../../../src/sinks/s3/classify.js';
import { errorSignals } from '../../../src/sinks/error-chain.js';
import { MAX_RETRY_HORIZON_MS } from '../../../src/state/fair-claim.js';
import { s3Error, sysError } from './fixtures.js';
import { caught } from '../../support/caught.js';

const ctx = { bucket: 'logs-bucket', key: 'v1/2024-06-01/ros/run/launch.log.gz' };

describe('sinks/retry classify', () => {
  const table: Array<[string, () => unknown, ErrorCode, Retriability]> = [
    ['NoSuchBucket', () => s3Error('NoSuchBucket', 404), ErrorCodes.S3_NO_SUCH_BUCKET, 'operator'],
    ['AccessDenied', () => s3Error('AccessDenied', 403), ErrorCodes.S3_ACCESS_DENIED, 'operator'],
    ['AllAccessDisabled', () => s3Error('AllAccessDisabled', 403), ErrorCodes.S3_ACCESS_DENIED, 'operator'],
    ['AccountProblem', () => s3Error('AccountProblem', 403), ErrorCodes.S3_ACCESS_DENIED, 'operator'],
    ['KMS access denied', () => s3Error('KMS.AccessDeniedException', 400), ErrorCodes.S3_ACCESS_DENIED, 'operator'],
    ['InvalidAccessKeyId', () => s3Error('InvalidAccessKeyId', 403), ErrorCodes.S3_CREDENTIALS, 'operator'],
    ['SignatureDoesNotMatch', () => s3Error('SignatureDoesNotMatch', 403), ErrorCodes.S3_CREDENTIALS, 'operator'],
    ['ExpiredToken', () => s3Error('ExpiredToken', 400), ErrorCodes.S3_CREDENTIALS, 'operator'],
    [
      'CredentialsProviderError',
      () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      ErrorCodes.S3_CREDENTIALS,
      'operator',
    ],
    ['"Could not load credentials" message only', () => new Error('Could not load credentials from any providers'), ErrorCodes.S3_CREDENTIALS, 'operator'],
    ['BadDigest', () => s3Error('BadDigest', 400), ErrorCodes.S3_INTEGRITY, 'retriable'],
    ['InvalidDigest', () => s3Error('InvalidDigest', 400), ErrorCodes.S3_INTEGRITY, 'retriable'],
    ['XAmzContentSHA256Mismatch', () => s3Error('XAmzContentSHA256Mismatch', 400), ErrorCodes.S3_INTEGRITY, 'retriable'],
    ['checksum mismatch message', () => new Error('Checksum mismatch: expected "abc" but received "def"'), ErrorCodes.S3_INTEGRITY, 'retriable'],
    ['EntityTooLarge', () => s3Error('EntityTooLarge', 400), ErrorCodes.S3_TOO_LARGE, 'permanent'],
    ['SlowDown', () => s3Error('SlowDown', 503), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['ServiceUnavailable', () => s3Error('ServiceUnavailable', 503), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['InternalError 500', () => s3Error('InternalError', 500), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['RequestTimeout', () => s3Error('RequestTimeout', 400), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['RequestTimeTooSkewed (SDK corrects its clock offset)', () => s3Error('RequestTimeTooSkewed', 403), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['ThrottlingException', () => s3Error('ThrottlingException', 400), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['$retryable throttling', () => Object.assign(new Error('slow'), { $retryable: { throttling: true } }), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['ECONNRESET', () => sysError('ECONNRESET'), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['ETIMEDOUT', () => sysError('ETIMEDOUT'), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['EPIPE', () => sysError('EPIPE'), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['ECONNREFUSED', () => sysError('ECONNREFUSED'), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['EAI_AGAIN', () => sysError('EAI_AGAIN'), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['socket hang up', () => new Error('socket hang up'), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['TimeoutError', () => Object.assign(new Error('socket timed out after 60000 ms'), { name: 'TimeoutError' }), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['AbortError from a timeout', () => Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['HTTP 502 without a code', () => s3Error('Unknown', 502), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['HTTP 504 without a code', () => Object.assign(new Error('gateway'), { $metadata: { httpStatusCode: 504 } }), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['HTTP 429', () => Object.assign(new Error('busy'), { $metadata: { httpStatusCode: 429 } }), ErrorCodes.S3_TRANSIENT, 'retriable'],
    ['HTTP 403 without a code (HEAD)', () => s3Error('Forbidden', 403), ErrorCodes.S3_ACCESS_DENIED, 'operator'],
    ['HTTP 401', () => Object.assign(new Error('no'), { $metadata: { httpStatusCode: 401 } }), ErrorCodes.S3_CREDENTIALS, 'operator'],
    ['HTTP 413', () => Object.assign(new Error('big'), { $metadata: { httpStatusCode: 413 } }), ErrorCodes.S3_TOO_LARGE, 'permanent'],
    ['PermanentRedirect (wrong region)', () => s3Error('PermanentRedirect', 301), ErrorCodes.S3_REJECTED, 'operator'],
    ['HTTP 301 without a code', () => Object.assign(new Error('moved'), { $metadata: { httpStatusCode: 301 } }), ErrorCodes.S3_REJECTED, 'operator'],
    ['other 4xx: InvalidArgument', () => s3Error('InvalidArgument', 400), ErrorCodes.S3_REJECTED, 'retriable'],
    ['NoSuchUpload', () => s3Error('NoSuchUpload', 404), ErrorCodes.S3_REJECTED, 'retriable'],
    ['statusCode property only', () => Object.assign(new Error('teapot'), { statusCode: 418 }), ErrorCodes.S3_REJECTED, 'retriable'],
    ['ENOENT', () => sysError('ENOENT', "ENOENT: no such file or directory, open '/spool/x.gz'", { path: '/spool/x.gz' }), ErrorCodes.FILE_VANISHED, 'retriable'],
    ['EACCES', () => sysError('EACCES'), ErrorCodes.FILE_UNREADABLE, 'operator'],
    ['EISDIR', () => sysError('EISDIR'), ErrorCodes.FILE_UNREADABLE, 'permanent'],
    ['EIO', () => sysError('EIO'), ErrorCodes.FILE_UNREADABLE, 'retriable'],
    ['EMFILE', () => sysError('EMFILE'), ErrorCodes.FILE_UNREADABLE, 'retriable'],
    ['EPERM', () => sysError('EPERM'), ErrorCodes.FILE_UNREADABLE, 'operator'],
    ['ENOSPC', () => sysError('ENOSPC'), ErrorCodes.DISK_FULL, 'retriable'],
    ['an unknown error', () => new TypeError('x is not a function'), ErrorCodes.INTERNAL, 'retriable'],
    ['a thrown string', () => 'boom', ErrorCodes.INTERNAL, 'retriable'],
  ];

  for (const [name, make, code, retriability] of table) {
    it(`classifies ${name} as ${code} (${retriability})`, () => {
      const e = classify(make(), ctx);
      expect(e.code).to.equal(code);
      expect(e.retriability).to.equal(retriability);
    });
  }

  it('classifies the same S3 error wrapped two levels deep (the reference PUT-path defect)', () => {
    const inner = s3Error('NoSuchBucket', 404);
    const wrapped = new Error('upload failed', { cause: new Error('transfer failed', { cause: inner }) });
    const e = classify(wrapped, ctx);
    expect(e.code).to.equal(ErrorCodes.S3_NO_SUCH_BUCKET);
    expect(e.cause).to.equal(wrapped);
  });

  it('classifies a network code found inside an AggregateError', () => {
    const agg = new AggregateError([sysError('ECONNREFUSED'), sysError('ECONNREFUSED')], 'connect failed');
    expect(classify(agg, ctx).code).to.equal(ErrorCodes.S3_TRANSIENT);
  });

  it('prefers a specific S3 code over the HTTP status', () => {
    expect(classify(s3Error('AccessDenied', 400), ctx).code).to.equal(ErrorCodes.S3_ACCESS_DENIED);
  });

  it('passes TvmErrors through unchanged, also when wrapped', () => {
    const t = new TvmError(ErrorCodes.FILE_CHANGED, 'changed', { retriability: 'retriable' });
    expect(classify(t)).to.equal(t);
    expect(classify(new Error('outer', { cause: t }))).to.equal(t);
  });

  it('names bucket and key in the message and details, with a hint', () => {
    const e = classify(s3Error('AccessDenied', 403, 'Access Denied'), { ...ctx, operation: 'PutObject' });
    expect(e.message).to.include('s3://logs-bucket/v1/2024-06-01/ros/run/launch.log.gz').and.include('PutObject');
    expect(e.details).to.include({ bucket: 'logs-bucket', key: ctx.key, s3Code: 'AccessDenied', httpStatus: 403, requestId: 'REQ123' });
    expect(e.hint).to.be.a('string').and.include('s3:PutObject');
  });

  it('names the missing bucket and tells the operator to create it', () => {
    const e = classify(s3Error('NoSuchBucket', 404), ctx);
    expect(e.message).to.include('"logs-bucket" does not exist');
    expect(e.hint).to.include('create the bucket');
  });

  it('reports the path of a vanished file', () => {
    const e = classify(sysError('ENOENT', 'gone', { path: '/spool/a.gz' }));
    expect(e.message).to.include('/spool/a.gz');
    expect(e.details).to.include({ path: '/spool/a.gz', syscallCode: 'ENOENT' });
  });

  it('stops following a cyclic cause chain', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(classify(a).code).to.equal(ErrorCodes.INTERNAL);
    expect(errorSignals(a).messages).to.deep.equal(['a', 'b']);
  });
});

describe('sinks/retry nextDelayMs', () => {
  const policy = { baseSeconds: 2, maxSeconds: 600, maxAttempts: 8 };
  const transient = new TvmError(ErrorCodes.S3_TRANSIENT, 't');
  const operator = new TvmError(ErrorCodes.S3_NO_SUCH_BUCKET, 'o', { retriability: 'operator' });

  it('uses full jitter: random() scales the capped exponential window', () => {
    expect(nextDelayMs(1, policy, transient, () => 0.5)).to.equal(1000);
    expect(nextDelayMs(3, policy, transient, () => 0.5)).to.equal(4000);
    expect(nextDelayMs(3, policy, transient, () => 0)).to.equal(0);
    expect(nextDelayMs(3, policy, transient, () => 0.999)).to.be.closeTo(7992, 1);
  });

  it('never exceeds the exponential window or maxSeconds', () => {
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      for (const r of [0, 0.25, 0.5, 0.75, 0.9999]) {
        const d = nextDelayMs(attempt, policy, transient, () => r);
        expect(d).to.be.at.least(0);
        expect(d).to.be.at.most(Math.min(600_000, 2000 * 2 ** (attempt - 1)));
      }
    }
  });

  it('caps the window at maxSeconds for late attempts', () => {
    expect(nextDelayMs(8, policy, transient, () => 0.5)).to.equal(128_000);
    expect(nextDelayMs(8, { ...policy, maxSeconds: 100 }, transient, () => 0.5)).to.equal(50_000);
  });

  it('parks at exactly maxSeconds once attempts are exhausted', () => {
    expect(nextDelayMs(9, policy, transient, () => 0)).to.equal(600_000);
    expect(nextDelayMs(1000, policy, transient, () => 0.3)).to.equal(600_000);
  });

  it('keeps operator-class errors at least min(maxSeconds, 300 s) apart', () => {
    expect(nextDelayMs(1, policy, operator, () => 0)).to.equal(OPERATOR_FLOOR_SECONDS * 1000);
    expect(nextDelayMs(1, { ...policy, maxSeconds: 60 }, operator, () => 0)).to.equal(60_000);
    expect(nextDelayMs(9, { ...policy, baseSeconds: 500, maxSeconds: 3600 }, operator, () => 0.9)).to.equal(3_600_000);
    expect(nextDelayMs(8, { ...policy, baseSeconds: 10, maxSeconds: 3600 }, operator, () => 0.5)).to.equal(640_000);
  });

  it('treats attempt numbers below 1 or not finite as the first attempt', () => {
    expect(nextDelayMs(0, policy, transient, () => 0.5)).to.equal(1000);
    expect(nextDelayMs(Number.NaN, policy, transient, () => 0.5)).to.equal(1000);
  });

  it('clamps a misbehaving random source into the window', () => {
    expect(nextDelayMs(1, policy, transient, () => 7)).to.equal(2000);
    expect(nextDelayMs(1, policy, transient, () => -1)).to.equal(0);
  });
});

describe('sinks/retry RetryPolicy', () => {
  it('is built from upload.retry with an injected random source', () => {
    const p = RetryPolicy.fromConfig({ retry: { maxAttempts: 3, baseSeconds: 1, maxSeconds: 30 } }, () => 0.5);
    expect(p.nextDelayMs(2, new TvmError(ErrorCodes.S3_TRANSIENT, 't'))).to.equal(1000);
  });

  const policy = (rules: RetryRules = {}): RetryPolicy => new RetryPolicy({ maxAttempts: 3, baseSeconds: 1, maxSeconds: 30 }, () => 0.5, { classify, ...rules });

  it('parks a permanent error for a day instead of retrying it at every backoff step', () => {
    const d = policy().decide({ attempt: 1, error: s3Error('EntityTooLarge', 400) });
    expect(d).to.include({ action: 'park', delayMs: PERMANENT_RETRY_MS });
    expect(d.error.code).to.equal(ErrorCodes.S3_TOO_LARGE);
    expect(d.reason).to.match(/permanent/);
  });

  it('retries transient errors with backoff and parks them at maxSeconds after maxAttempts', () => {
    expect(policy().decide({ attempt: 2, error: sysError('ECONNRESET') })).to.include({ action: 'retry', delayMs: 1000 });
    expect(policy().decide({ attempt: 4, error: sysError('ECONNRESET') })).to.include({ action: 'park', delayMs: 30_000 });
  });

  it('removes a vanished file only when the caller saw the source gone; a vanished spool file is retried', () => {
    const vanished = new TvmError(ErrorCodes.FILE_VANISHED, '/logs/a.log disappeared');
    expect(policy().decide({ attempt: 1, error: vanished, sourceGone: true })).to.include({ action: 'remove', delayMs: 0 });
    expect(policy().decide({ attempt: 1, error: vanished, sourceGone: false })).to.include({ action: 'retry', delayMs: 500 });
  });

  it('looks at a file that changed again after the quiet period, never sooner than a second', () => {
    const changed = new TvmError(ErrorCodes.FILE_CHANGED, 'changed');
    expect(policy({ settleMs: 5000 }).decide({ attempt: 1, error: changed })).to.include({ action: 'restabilize', delayMs: 5000 });
    expect(policy({ settleMs: 0 }).decide({ attempt: 1, error: changed })).to.include({ action: 'restabilize', delayMs: 1000 });
    expect(RetryPolicy.fromConfig({ retry: { maxAttempts: 3, baseSeconds: 1, maxSeconds: 30 }, fileStableSeconds: 7 }).decide({ attempt: 1, error: changed }).delayMs).to.equal(7000);
  });

  it('classifies once, through the classifier it was given', () => {
    expect(policy().classify(s3Error('NoSuchBucket', 404)).code).to.equal(ErrorCodes.S3_NO_SUCH_BUCKET);
    expect(policy().decide({ attempt: 1, error: s3Error('NoSuchBucket', 404) }).error.code).to.equal(ErrorCodes.S3_NO_SUCH_BUCKET);
  });

  it('without a classifier, keeps catalog errors (also wrapped) and retries anything else as internal', () => {
    const bare = new RetryPolicy({ maxAttempts: 3, baseSeconds: 1, maxSeconds: 30 }, () => 0.5);
    const tvm = new TvmError(ErrorCodes.S3_TRANSIENT, 't');
    expect(bare.classify(new Error('outer', { cause: tvm }))).to.equal(tvm);
    expect(bare.decide({ attempt: 1, error: new Error('boom') })).to.deep.include({ action: 'retry', delayMs: 500 });
    expect(catalogOnly('boom').code).to.equal(ErrorCodes.INTERNAL);
  });

  it('parks the error classes it was told to, at once and with the backoff delay', () => {
    const denied = s3Error('AccessDenied', 403);
    const parking = policy({ parks: ['permanent', 'operator'] }).decide({ attempt: 1, error: denied });
    expect(parking).to.include({ action: 'park', delayMs: 30_000 });
    expect(parking.reason).to.match(/operator-class/);
    expect(policy().decide({ attempt: 1, error: denied }).action).to.equal('retry');
  });

  it('backs a permanent error off like any other when told that nothing parks', () => {
    expect(policy({ parks: [] }).decide({ attempt: 2, error: s3Error('EntityTooLarge', 400) })).to.include({ action: 'retry', delayMs: 1000 });
  });

  it('never asks to wait past the claim\'s clock-jump horizon, which would make the row due at once', () => {
    const changed = new TvmError(ErrorCodes.FILE_CHANGED, 'changed');
    expect(policy({ settleMs: 3 * MAX_RETRY_HORIZON_MS }).decide({ attempt: 1, error: changed }).delayMs).to.equal(MAX_RETRY_HORIZON_MS);
    expect(PERMANENT_RETRY_MS).to.be.at.most(MAX_RETRY_HORIZON_MS);
    expect(() => new RetryPolicy({ maxAttempts: 3, baseSeconds: 1, maxSeconds: MAX_RETRY_HORIZON_MS / 1000 + 1 })).to.throw(TvmError);
    expect(new RetryPolicy({ maxAttempts: 3, baseSeconds: 1, maxSeconds: MAX_RETRY_HORIZON_MS / 1000 }).backoff.maxSeconds).to.equal(86_400);
  });

  it('rejects a nonsensical policy', () => {
    expect(() => new RetryPolicy({ maxAttempts: 0, baseSeconds: 1, maxSeconds: 30 })).to.throw(TvmError);
    expect(() => new RetryPolicy({ maxAttempts: 3, baseSeconds: -1, maxSeconds: 30 })).to.throw(TvmError);
  });

  it('takes the sink\'s classifier from the configuration, and parks a permanent error for exactly a day', () => {
    const p = RetryPolicy.fromConfig({ retry: { maxAttempts: 3, baseSeconds: 1, maxSeconds: 30 } }, () => 0.5, classify);
    expect(p.classify(s3Error('NoSuchBucket', 404)).code).to.equal(ErrorCodes.S3_NO_SUCH_BUCKET);
    expect(p.decide({ attempt: 1, error: s3Error('EntityTooLarge', 400) }).delayMs).to.equal(24 * 3600 * 1000);
  });

  it('rejects a negative maximum delay with a permanent error that shows the policy', () => {
    const e = caught(() => new RetryPolicy({ maxAttempts: 3, baseSeconds: 1, maxSeconds: -1 }));
    expect(e.retriability).to.equal('permanent');
    expect(e.message).to.equal('invalid retry policy {"maxAttempts":3,"baseSeconds":1,"maxSeconds":-1}');
  });

  it('removes a file only for a vanished source: another error while the source is gone is retried', () => {
    expect(policy().decide({ attempt: 1, error: sysError('ECONNRESET'), sourceGone: true }).action).to.equal('retry');
  });

  it('says why in every decision, for the log line', () => {
    const gone = policy().decide({ attempt: 1, error: new TvmError(ErrorCodes.FILE_VANISHED, 'gone'), sourceGone: true });
    expect(gone.reason).to.equal('the source is gone');
    expect(policy().decide({ attempt: 1, error: new TvmError(ErrorCodes.FILE_CHANGED, 'changed') }).reason).to.equal('it changed while it was read; looked at again once quiet');
    expect(policy().decide({ attempt: 4, error: sysError('ECONNRESET') }).reason).to.equal('3 attempts failed: tried every 30 s');
    expect(policy().decide({ attempt: 1, error: sysError('ECONNRESET') }).reason).to.equal('retriable error: backoff');
  });

  it('turns an unknown failure into a retriable INTERNAL error naming its message, or the value itself', () => {
    const boom = new Error('boom');
    const fromError = catalogOnly(boom);
    expect(fromError).to.deep.include({ code: ErrorCodes.INTERNAL, retriability: 'retriable', message: 'unexpected error: boom' });
    expect(fromError.cause, 'the original stays reachable for the log').to.equal(boom);
    expect(catalogOnly(42).message).to.equal('unexpected error: 42');
  });
});
