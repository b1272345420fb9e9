import { expect } from 'chai';
import { classifyCloudWatchError } from '../../../../src/sinks/cloudwatch/classify.js';
import { ErrorCodes, TvmError } from '../../../../src/errors.js';
import { netError, serviceError } from './helpers.js';

const op = 'PutMetricData';

describe('cloudwatch/classify', () => {
  it('treats throttling as retriable and names the AWS code and status', () => {
    const e = classifyCloudWatchError(serviceError('Throttling', 400, 'Rate exceeded'), op);
    expect(e.code).to.equal(ErrorCodes.CLOUDWATCH);
    expect(e.retriability).to.equal('retriable');
    expect(e.message).to.equal('PutMetricData: CloudWatch is unreachable or busy (Throttling, HTTP 400): Rate exceeded');
    expect(e.details).to.include({ operation: op, awsCode: 'Throttling', httpStatus: 400, requestId: 'req-1' });
  });

  it('treats 5xx answers and SDK-marked throttling as retriable', () => {
    expect(classifyCloudWatchError(serviceError('SomethingOdd', 503), op).retriability).to.equal('retriable');
    expect(classifyCloudWatchError(serviceError('InternalServiceError', 500), op).message).to.contain('unreachable or busy');
    const marked = Object.assign(new Error('slow down'), { $retryable: { throttling: true } });
    expect(classifyCloudWatchError(marked, op).message).to.contain('throttling');
    expect(classifyCloudWatchError(serviceError('X', 429), op).message).to.contain('unreachable or busy');
  });

  it('treats connection failures, also wrapped in a cause, as retriable', () => {
    const e = classifyCloudWatchError(new Error('request failed', { cause: netError('ECONNREFUSED') }), op);
    expect(e.retriability).to.equal('retriable');
    expect(e.message).to.contain('ECONNREFUSED');
  });

  it('needs an operator for denied access, with the IAM action in the hint', () => {
    const e = classifyCloudWatchError(serviceError('AccessDenied', 403, 'not authorized to perform cloudwatch:PutMetricData'), op);
    expect(e.retriability).to.equal('operator');
    expect(e.hint).to.contain('cloudwatch:PutMetricData');
    expect(classifyCloudWatchError(serviceError('Whatever', 403), op).message).to.contain('denied access');
  });

  it('needs an operator for bad, expired or missing credentials', () => {
    for (const err of [
      serviceError('InvalidClientTokenId', 403),
      serviceError('ExpiredToken', 400),
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      new Error('Could not load credentials from any providers'),
      serviceError('Odd', 401),
    ]) {
      const e = classifyCloudWatchError(err, op);
      expect(e.retriability, String(err)).to.equal('operator');
      expect(e.message).to.contain('credentials');
    }
  });

  it('retries an invalid-request rejection (the outbox must not be blocked for good by one answer)', () => {
    const e = classifyCloudWatchError(serviceError('InvalidParameterValue', 400, 'timestamp too old'), op);
    expect(e.retriability).to.equal('retriable');
    expect(e.message).to.contain('rejected the request as invalid');
    expect(classifyCloudWatchError(serviceError('Odd', 404), op).message).to.contain('invalid');
  });

  it('retries anything unknown', () => {
    const e = classifyCloudWatchError(new Error('boom'), 'PutMetricAlarm');
    expect(e.retriability).to.equal('retriable');
    expect(e.message).to.equal('PutMetricAlarm: CloudWatch call failed: boom');
    expect(classifyCloudWatchError('text', op).message).to.equal('PutMetricData: CloudWatch call failed: text');
    expect(classifyCloudWatchError(null, op).message).to.equal('PutMetricData: CloudWatch call failed');
  });

  it('passes an already classified error through', () => {
    const t = new TvmError(ErrorCodes.INTERNAL, 'bad options', { retriability: 'permanent' });
    expect(classifyCloudWatchError(t, op)).to.equal(t);
  });
});

describe('sinks/cloudwatch/classify: every known failure name (the table is the spec)', () => {
  const TABLE: ReadonlyArray<readonly [what: string, retriability: string, names: readonly string[]]> = [
    ['AWS credentials for CloudWatch are missing, invalid or expired', 'operator', [
      'InvalidClientTokenId', 'UnrecognizedClientException', 'ExpiredToken', 'ExpiredTokenException', 'InvalidToken',
      'SignatureDoesNotMatch', 'IncompleteSignature', 'InvalidSignatureException', 'MissingAuthenticationToken',
      'MissingAuthenticationTokenException', 'CredentialsProviderError', 'InvalidAccessKeyId', 'TokenRefreshRequired',
    ]],
    ['CloudWatch denied access', 'operator', ['AccessDenied', 'AccessDeniedException', 'NotAuthorized', 'OptInRequired']],
    ['CloudWatch rejected the request as invalid', 'retriable', [
      'InvalidParameterValue', 'InvalidParameterValueException', 'InvalidParameterCombination',
      'InvalidParameterCombinationException', 'MissingParameter', 'MissingRequiredParameter', 'InvalidParameterInput',
      'ValidationError', 'ValidationException', 'SerializationException',
    ]],
    ['CloudWatch is unreachable or busy', 'retriable', [
      'Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded',
      'LimitExceeded', 'LimitExceededException', 'LimitExceededFault', 'InternalServiceError', 'InternalServiceFault', 'InternalFailure',
      'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException', 'RequestExpired',
      'TimeoutError', 'AbortError', 'NetworkingError', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN',
      'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL', 'EPROTO',
      'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
    ]],
  ];
  for (const [what, retriability, names] of TABLE) {
    it(`"${what}" (${retriability}) for ${names.length} name(s), by name or by code`, () => {
      for (const name of names) {
        for (const err of [Object.assign(new Error('m'), { name }), Object.assign(new Error('m'), { code: name })]) {
          const e = classifyCloudWatchError(err, 'PutMetricData');
          expect([e.code, e.retriability, e.message], name).to.deep.equal([ErrorCodes.CLOUDWATCH, retriability, `PutMetricData: ${what} (${name}): m`]);
        }
      }
    });
  }

  it('an unknown name without a status is "call failed", retried', () => {
    const e = classifyCloudWatchError(Object.assign(new Error('m'), { name: 'SomethingNew' }), 'PutMetricAlarm');
    expect([e.retriability, e.message]).to.deep.equal(['retriable', 'PutMetricAlarm: CloudWatch call failed (SomethingNew): m']);
    expect(e.hint).to.match(/metrics wait in the outbox/);
  });

  it('tells the operator which permission or credential to fix', () => {
    expect(classifyCloudWatchError(Object.assign(new Error('m'), { name: 'AccessDenied' }), 'PutMetricData').hint).to.match(/cloudwatch:PutMetricData/).and.match(/cloudwatch:DescribeAlarms/);
    expect(classifyCloudWatchError(Object.assign(new Error('m'), { name: 'ExpiredToken' }), 'PutMetricData').hint).to.match(/AWS_PROFILE/).and.match(/system clock/);
    expect(classifyCloudWatchError(Object.assign(new Error('m'), { name: 'ValidationError' }), 'PutMetricData').hint).to.match(/older than 14 days are dropped/);
    expect(classifyCloudWatchError(Object.assign(new Error('m'), { name: 'Throttling' }), 'PutMetricData').hint).to.match(/AWS_ENDPOINT_URL_CLOUDWATCH/);
  });
});
