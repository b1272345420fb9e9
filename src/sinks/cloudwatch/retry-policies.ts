/**
 * The CloudWatch sink's retry rules, as RetryPolicy instances (sinks/retry.ts) built with the
 * CloudWatch classifier, so the publisher and the alarm creation only act on `decide()`.
 *
 * - Publishing backs off for every failure, whatever its class: the outbox must drain eventually,
 *   so nothing parks for a day; operator-class errors (denied, bad credentials) wait ≥ 5 min.
 * - Alarm creation is optional and retried only after a successful publish (no timer of its own):
 *   an error only a person can fix, or the ALARM_ATTEMPTS-th failure, gives up until the next start.
 */
import { RetryPolicy, type BackoffPolicy } from '../retry.js';
import { classifyCloudWatchError } from './classify.js';

/** 5 s doubling to 10 min; operator-class errors wait at least 5 min (retry.ts). */
export const CLOUDWATCH_BACKOFF: BackoffPolicy = { baseSeconds: 5, maxSeconds: 600, maxAttempts: 10 };

/** Alarm creation is attempted at most this many times in all. */
export const ALARM_ATTEMPTS = 5;

/** For PutMetricData failures (and outbox failures, passed in as catalog errors). */
export function publishRetryPolicy(backoff: BackoffPolicy = CLOUDWATCH_BACKOFF, random: () => number = Math.random): RetryPolicy {
  return new RetryPolicy(backoff, random, { classify: (err) => classifyCloudWatchError(err, 'PutMetricData'), parks: [] });
}

/** For ensureAlarms() failures: 'retry' means "after the next successful publish", 'park' means "not before the next start". */
export function alarmRetryPolicy(): RetryPolicy {
  // decide() parks once attempt > maxAttempts, so the ALARM_ATTEMPTS-th failure is the last.
  return new RetryPolicy({ baseSeconds: 0, maxSeconds: 0, maxAttempts: ALARM_ATTEMPTS - 1 }, Math.random, {
    classify: (err) => classifyCloudWatchError(err, 'PutMetricAlarm'),
    parks: ['permanent', 'operator'],
  });
}
