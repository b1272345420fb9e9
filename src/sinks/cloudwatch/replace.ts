/**
 * A reload that changes `monitoring.*` CloudWatch keys replaces the CloudWatch sink: the old one
 * sends what it has under the old namespace (bounded by a deadline; what is not accepted stays in
 * the durable outbox and goes out with the new sink), is closed, and the new one starts. Events
 * emitted while the old publisher winds down are kept and replayed into the new sink, so no
 * upload goes uncounted and none is counted twice (each event reaches exactly one aggregator).
 */
import { isDeepStrictEqual } from 'node:util';
import type { PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import type { Config } from '../../config/types.js';
import type { Telemetry, TelemetryEvent } from '../../telemetry/events.js';
import { alarmDefinitions } from './alarms.js';
import type { CloudWatchSink, SinkAlarmOptions } from './sink.js';

/** Events kept between the old sink's close and the new sink's start; a hand-over lasts milliseconds. */
const MAX_HANDOVER_EVENTS = 10_000;

type Monitoring = Pick<Config, 'vehicleId' | 'monitoring'>;

/** True when the CloudWatch part of the configuration differs (the HTTP endpoint is not its business). */
export function cloudWatchChanged(before: Monitoring, after: Monitoring): boolean {
  const { http: _a, ...b } = before.monitoring;
  const { http: _b, ...a } = after.monitoring;
  return !isDeepStrictEqual(b, a);
}

/**
 * The alarm options for the rebuilt sink: the alarms whose definitions changed are overwritten;
 * an unchanged one is left alone, keeping an operator's hand edits.
 */
export function reloadAlarmOptions(before: Monitoring, after: Monitoring): SinkAlarmOptions {
  const defs = (c: Monitoring): PutMetricAlarmCommandInput[] => alarmDefinitions({ vehicleId: c.vehicleId, namespace: c.monitoring.namespace, ...alarmKeys(c) });
  const old = new Map(defs(before).map((d) => [d.AlarmName, d]));
  return { overwrite: defs(after).filter((d) => !isDeepStrictEqual(old.get(d.AlarmName), d)).map((d) => d.AlarmName!) };
}

function alarmKeys(c: Monitoring): SinkAlarmOptions {
  const a = c.monitoring.alarms;
  return { lowUploadThresholdMb: a.lowUploadThresholdMb, evaluationPeriods: a.evaluationPeriods, uploadFailuresThreshold: a.uploadFailuresThreshold, backlogThresholdHours: a.backlogThresholdHours };
}

/**
 * Flushes and closes `old`, then builds and starts its replacement. `build` receives the
 * telemetry the new sink must subscribe to (it replays the hand-over's events first).
 */
export async function replaceCloudWatchSink(
  old: CloudWatchSink,
  telemetry: Pick<Telemetry, 'on'>,
  build: (telemetry: Pick<Telemetry, 'on'>) => CloudWatchSink,
  flushDeadlineMs: number,
  /** True when the daemon began stopping meanwhile: the new sink is built but not started. */
  cancelled: () => boolean = () => false,
): Promise<CloudWatchSink> {
  await old.flush(flushDeadlineMs);
  const closed = old.close(); // unsubscribes synchronously: from here on events go to `kept`
  const kept: TelemetryEvent[] = [];
  const stopKeeping = telemetry.on((e) => {
    if (kept.length < MAX_HANDOVER_EVENTS) kept.push(e);
  });
  try {
    await closed;
  } finally {
    stopKeeping();
  }
  const handover: Pick<Telemetry, 'on'> = {
    on(listener) {
      for (const e of kept) listener(e);
      kept.length = 0;
      return telemetry.on(listener);
    },
  };
  const next = build(handover);
  if (!cancelled()) next.start();
  return next;
}
