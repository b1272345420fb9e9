/**
 * Doctor steps for CloudWatch, when monitoring.cloudwatch_enabled is true: one PutMetricData
 * of a `DoctorProbe` data point (value 1, the vehicle's dimension, the configured namespace)
 * proves the endpoint, the credentials and the IAM condition on the namespace accept what the
 * daemon publishes; then DescribeAlarms checks that this vehicle's two alarms exist (the daemon
 * creates them at start; an operator may have deleted or never allowed them).
 */
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { probeCloudWatch } from '../sinks/cloudwatch/healthcheck.js';
import { classifyCloudWatchError } from '../sinks/cloudwatch/classify.js';
import { DIMENSION_NAME } from '../sinks/cloudwatch/encode.js';
import { fail, pass, skip, type DoctorStep } from './step.js';

const DISABLED = 'monitoring.cloudwatch_enabled is false: nothing to check';

export const PROBE_METRIC = 'DoctorProbe';

export const cloudWatchPublishStep: DoctorStep = {
  id: 'cloudwatch-publish',
  title: 'CloudWatch PutMetricData',
  needs: ['credentials'],
  async run(ctx) {
    if (ctx.cloudWatch === null) return skip(DISABLED);
    const namespace = ctx.config.monitoring.namespace;
    try {
      await ctx.cloudWatch.send(
        new PutMetricDataCommand({
          Namespace: namespace,
          MetricData: [{ MetricName: PROBE_METRIC, Dimensions: [{ Name: DIMENSION_NAME, Value: ctx.config.vehicleId }], Value: 1, Unit: 'Count', Timestamp: new Date(ctx.now()) }],
        }),
        { abortSignal: AbortSignal.timeout(ctx.timeoutMs) },
      );
    } catch (err) {
      const e = classifyCloudWatchError(err, 'PutMetricData');
      const fix =
        e.retriability === 'retriable'
          ? 'check the network, s3.region and AWS_ENDPOINT_URL_CLOUDWATCH (CloudWatch has its own endpoint; s3.endpoint is not used for it)'
          : (e.hint ?? `allow cloudwatch:PutMetricData for namespace "${namespace}" (docs/iam-policy.json)`);
      return fail(`PutMetricData to namespace "${namespace}" failed: ${e.message}`, fix);
    }
    return pass(`a ${PROBE_METRIC} data point was accepted in namespace "${namespace}"`);
  },
};

export const cloudWatchAlarmsStep: DoctorStep = {
  id: 'cloudwatch-alarms',
  title: 'CloudWatch alarms',
  needs: ['cloudwatch-publish'],
  async run(ctx) {
    if (ctx.cloudWatch === null) return skip(DISABLED);
    const r = await probeCloudWatch(ctx.cloudWatch, ctx.config.vehicleId, { signal: AbortSignal.timeout(ctx.timeoutMs) });
    if (!r.ok) return fail(`DescribeAlarms failed: ${r.error.message}`, r.error.hint ?? 'allow cloudwatch:DescribeAlarms (docs/iam-policy.json)');
    if (r.missingAlarms.length > 0) {
      return fail(
        `missing: ${r.missingAlarms.join(', ')}${r.alarms.length > 0 ? `; present: ${r.alarms.join(', ')}` : ''}`,
        'start the daemon once (it creates both alarms at start; its log says "created CloudWatch alarms" or why not), and allow cloudwatch:PutMetricAlarm for them',
      );
    }
    return pass(`present: ${r.alarms.join(', ')}`);
  },
};
