/**
 * The CloudWatch healthcheck behind `tvm-upload check-config --probe`: one DescribeAlarms for
 * this vehicle's alarms. It proves the endpoint answers and the credentials are accepted, and
 * says which alarms exist, without writing anything (a probe PutMetricData would leave a data
 * point behind). PutMetricData permission itself can only be seen when publishing.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { TvmError } from '../../errors.js';
import { lowUploadAlarmName, uploadFailuresAlarmName } from './alarms.js';
import { classifyCloudWatchError } from './classify.js';
import type { CloudWatchSend } from './metrics-publisher.js';

export type CloudWatchProbeResult =
  | { readonly ok: true; readonly alarms: readonly string[]; readonly missingAlarms: readonly string[] }
  | { readonly ok: false; readonly error: TvmError };

export async function probeCloudWatch(
  client: CloudWatchSend,
  vehicleId: string,
  options: { readonly signal?: AbortSignal; readonly where?: string } = {},
): Promise<CloudWatchProbeResult> {
  const wanted = [lowUploadAlarmName(vehicleId), uploadFailuresAlarmName(vehicleId)];
  try {
    const out = await client.send(new DescribeAlarmsCommand({ AlarmNames: wanted }), { abortSignal: options.signal });
    const alarms = (out.MetricAlarms ?? []).map((a) => a.AlarmName ?? '').filter((n) => n !== '');
    return { ok: true, alarms, missingAlarms: wanted.filter((n) => !alarms.includes(n)) };
  } catch (err) {
    const e = classifyCloudWatchError(err, 'DescribeAlarms');
    if (options.where !== undefined) e.details.endpoint = options.where;
    return { ok: false, error: e };
  }
}
