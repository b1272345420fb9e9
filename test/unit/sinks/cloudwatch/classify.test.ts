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
