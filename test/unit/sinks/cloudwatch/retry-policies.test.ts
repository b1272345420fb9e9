import { expect } from 'chai';
import { ErrorCodes, TvmError } from '../../../../src/errors.js';
import { OPERATOR_FLOOR_SECONDS } from '../../../../src/sinks/retry.js';
import { ALARM_ATTEMPTS, alarmRetryPolicy, CLOUDWATCH_BACKOFF, publishRetryPolicy } from '../../../../src/sinks/cloudwatch/retry-policies.js';
import { serviceError } from './helpers.js';

describe('cloudwatch/retry-policies', () => {
  it('classifies a failed publish as a PutMetricData error and backs off from 5 s', () => {
    const d = publishRetryPolicy(undefined, () => 0.5).decide({ attempt: 1, error: serviceError('Throttling', 400) });
    expect(d).to.include({ action: 'retry', delayMs: CLOUDWATCH_BACKOFF.baseSeconds * 500 });
    expect(d.error.code).to.equal(ErrorCodes.CLOUDWATCH);
    expect(d.error.message).to.match(/^PutMetricData: /);
  });

  it('backs off a permanent outbox error instead of parking the outbox for a day', () => {
    const bad = new TvmError(ErrorCodes.INTERNAL, 'metric X: value NaN is not finite', { retriability: 'permanent' });
    const d = publishRetryPolicy({ baseSeconds: 1, maxSeconds: 30, maxAttempts: 3 }, () => 0.5).decide({ attempt: 2, error: bad });
    expect(d).to.include({ action: 'retry', delayMs: 1000 });
    expect(d.error).to.equal(bad);
  });

  it('keeps denied publishing at least five minutes apart, and at maxSeconds once attempts are exhausted', () => {
    const p = publishRetryPolicy(undefined, () => 0);
    expect(p.decide({ attempt: 1, error: serviceError('AccessDenied', 403) }).delayMs).to.equal(OPERATOR_FLOOR_SECONDS * 1000);
    expect(p.decide({ attempt: CLOUDWATCH_BACKOFF.maxAttempts + 1, error: serviceError('Throttling', 400) })).to.include({
      delayMs: CLOUDWATCH_BACKOFF.maxSeconds * 1000,
    });
  });

  it('retries transient alarm failures until the last allowed attempt, then gives up', () => {
    const p = alarmRetryPolicy();
    for (let attempt = 1; attempt < ALARM_ATTEMPTS; attempt++) {
      expect(p.decide({ attempt, error: serviceError('Throttling', 400) }).action, `attempt ${attempt}`).to.equal('retry');
    }
    const last = p.decide({ attempt: ALARM_ATTEMPTS, error: serviceError('Throttling', 400) });
    expect(last.action).to.equal('park');
    expect(last.error.message).to.match(/^PutMetricAlarm: /);
  });

  it('gives up on alarms at once when only a person can help', () => {
    expect(alarmRetryPolicy().decide({ attempt: 1, error: serviceError('AccessDenied', 403) }).action).to.equal('park');
    const badOptions = new TvmError(ErrorCodes.INTERNAL, 'alarm options: bad', { retriability: 'permanent' });
    expect(alarmRetryPolicy().decide({ attempt: 1, error: badOptions }).action).to.equal('park');
  });
});
