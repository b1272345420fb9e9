/**
 * The per-vehicle CloudWatch alarms. `TVM-LowUpload-<vehicle_id>` is the reference's alarm,
 * field for field (its helper existed but the daemon never called it; we create it at start).
 * `TVM-UploadFailures-<vehicle_id>` and `TVM-Backlog-<vehicle_id>` (the oldest file not yet
 * uploaded has waited longer than a threshold) are new and optional. All are created with actions disabled:
 * they show state in the console, and an operator wires notifications by hand.
 *
 * Existing alarms are left untouched unless `overwrite` is set: PutMetricAlarm replaces the whole
 * configuration, so re-putting at every restart would silently undo an operator's edits (an SNS
 * action, actions enabled, another threshold). Running it twice is therefore harmless.
 *
 * TreatMissingData: the reference left CloudWatch's default (`missing`), under which a vehicle
 * whose daemon is dead or offline drifts to INSUFFICIENT_DATA and never alarms — exactly the
 * failure the low-upload alarm exists to catch. A running daemon writes BytesUploaded every
 * interval, even 0, so missing data really means "nothing is arriving": `breaching`. The
 * failures alarm uses `notBreaching`: no data there means no failures reported. The backlog
 * alarm uses `missing` (keep the last state): a dead daemon is the low-upload alarm's business,
 * and an offline vehicle's last known backlog is still the best guess.
 */
import { DescribeAlarmsCommand, PutMetricAlarmCommand, type PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { ErrorCodes, TvmError } from '../../errors.js';
import { classifyCloudWatchError } from './classify.js';
import { DIMENSION_NAME } from './encode.js';
import type { CloudWatchSend } from './metrics-publisher.js';

export interface AlarmOptions {
  readonly vehicleId: string;
  readonly namespace: string;
  /** Alarm when less than this many MB were uploaded per day for `evaluationPeriods` days. Default 100. */
  readonly lowUploadThresholdMb?: number;
  /** Days (periods of 86400 s) below the threshold before alarming. Default 3. */
  readonly evaluationPeriods?: number;
  /** Create TVM-UploadFailures-<id>, alarming at ≥ this many failures in one hour; null = do not. Default null. */
  readonly uploadFailuresThreshold?: number | null;
  /** Create TVM-Backlog-<id>, alarming when OldestPendingAgeSeconds exceeds this many hours; null = do not. Default null. */
  readonly backlogThresholdHours?: number | null;
  /**
   * Replace existing alarms' configuration (PutMetricAlarm upsert): all of them (true), or only
   * the alarms named (a reload that changed their definitions). Default false.
   */
  readonly overwrite?: boolean | readonly string[];
}

export interface EnsureAlarmsResult {
  readonly created: readonly string[];
  /** Already present and left as they are. */
  readonly existing: readonly string[];
}

export const lowUploadAlarmName = (vehicleId: string): string => `TVM-LowUpload-${vehicleId}`;
export const uploadFailuresAlarmName = (vehicleId: string): string => `TVM-UploadFailures-${vehicleId}`;
export const backlogAlarmName = (vehicleId: string): string => `TVM-Backlog-${vehicleId}`;
/** The backlog alarm looks at the worst 15-minute maximum: a backlog, not a blip. */
const BACKLOG_PERIOD_S = 900;

/** The alarm definitions for `o`, in creation order. Pure. */
export function alarmDefinitions(o: AlarmOptions): PutMetricAlarmCommandInput[] {
  const mb = o.lowUploadThresholdMb ?? 100;
  const periods = o.evaluationPeriods ?? 3;
  check(Number.isFinite(mb) && mb > 0, `lowUploadThresholdMb must be a positive number, got ${mb}`);
  check(Number.isInteger(periods) && periods >= 1, `evaluationPeriods must be a positive integer, got ${periods}`);
  const dimensions = [{ Name: DIMENSION_NAME, Value: o.vehicleId }];
  const defs: PutMetricAlarmCommandInput[] = [
    {
      AlarmName: lowUploadAlarmName(o.vehicleId),
      AlarmDescription: `Vehicle ${o.vehicleId} uploaded less than ${mb} MB per day for ${periods} days`,
      ActionsEnabled: false,
      MetricName: 'BytesUploaded',
      Namespace: o.namespace,
      Statistic: 'Sum',
      Dimensions: dimensions,
      Period: 86_400,
      EvaluationPeriods: periods,
      Threshold: mb * 1024 * 1024,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    },
  ];
  const failures = o.uploadFailuresThreshold ?? null;
  if (failures !== null) {
    check(Number.isInteger(failures) && failures >= 1, `uploadFailuresThreshold must be a positive integer, got ${failures}`);
    defs.push({
      AlarmName: uploadFailuresAlarmName(o.vehicleId),
      AlarmDescription: `Vehicle ${o.vehicleId} had ${failures} or more failed upload attempts within one hour`,
      ActionsEnabled: false,
      MetricName: 'FailureCount',
      Namespace: o.namespace,
      Statistic: 'Sum',
      Dimensions: dimensions,
      Period: 3_600,
      EvaluationPeriods: 1,
      Threshold: failures,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  }
  const backlogHours = o.backlogThresholdHours ?? null;
  if (backlogHours !== null) {
    check(Number.isFinite(backlogHours) && backlogHours > 0, `backlogThresholdHours must be a positive number, got ${backlogHours}`);
    defs.push({
      AlarmName: backlogAlarmName(o.vehicleId),
      AlarmDescription: `Vehicle ${o.vehicleId} has a file waiting for upload for more than ${backlogHours} hours`,
      ActionsEnabled: false,
      MetricName: 'OldestPendingAgeSeconds',
      Namespace: o.namespace,
      Statistic: 'Maximum',
      Dimensions: dimensions,
      Period: BACKLOG_PERIOD_S,
      EvaluationPeriods: 1,
      Threshold: backlogHours * 3600,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
    });
  }
  return defs;
}

/**
 * Creates the vehicle's alarms that do not exist yet, and those `overwrite` names. Throws a
 * classified TVM_ERR_CLOUDWATCH error on failure; callers log it, it is never fatal.
 */
export async function ensureAlarms(client: CloudWatchSend, o: AlarmOptions, signal?: AbortSignal): Promise<EnsureAlarmsResult> {
  const defs = alarmDefinitions(o);
  const names = defs.map((d) => d.AlarmName!);
  let present = new Set<string>();
  if (o.overwrite !== true) {
    try {
      const found = await client.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm'] }), { abortSignal: signal });
      present = new Set((found.MetricAlarms ?? []).map((a) => a.AlarmName ?? ''));
    } catch (err) {
      throw classifyCloudWatchError(err, 'DescribeAlarms');
    }
  }
  const created: string[] = [];
  const existing: string[] = [];
  for (const def of defs) {
    const name = def.AlarmName!;
    const replace = Array.isArray(o.overwrite) && o.overwrite.includes(name);
    if (present.has(name) && !replace) {
      existing.push(name);
      continue;
    }
    try {
      await client.send(new PutMetricAlarmCommand(def), { abortSignal: signal });
    } catch (err) {
      throw classifyCloudWatchError(err, 'PutMetricAlarm');
    }
    created.push(name);
  }
  return { created, existing };
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new TvmError(ErrorCodes.INTERNAL, `alarm options: ${message}`, { retriability: 'permanent' });
}
