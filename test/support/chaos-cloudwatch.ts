/**
 * Bookkeeping for the CloudWatch chaos suite. PutMetricData has no idempotency token, so a
 * request the server applied but whose answer was lost (reset after the body, truncated
 * response), and then re-sent by the SDK's own retry or by the publisher, is counted twice by
 * CloudWatch. To tell such an explainable duplicate from a real double-count bug, every send is
 * recorded with the points it carried, whether it failed, and how many HTTP attempts the SDK
 * made; a point may reach the server at most once per attempt that carried it.
 */
import { GetMetricStatisticsCommand, PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchSend } from '../../src/sinks/cloudwatch/metrics-publisher.js';

/** `${metric}@${timestampMs}`: one data point of one interval. */
export type PointId = string;
export const pointId = (metric: string, timestampMs: number): PointId => `${metric}@${timestampMs}`;

export interface RecordedSend {
  readonly points: readonly PointId[];
  readonly ok: boolean;
  /** HTTP attempts the SDK made for this send (its client retries once on its own). */
  readonly attempts: number;
}

/** Wraps a client; only PutMetricData is expected to pass through it. */
export function recordingClient(inner: Pick<CloudWatchClient, 'send'>, maxAttempts: number): { client: CloudWatchSend; sends: RecordedSend[] } {
  const sends: RecordedSend[] = [];
  const send = async (command: unknown, options?: unknown): Promise<unknown> => {
    if (!(command instanceof PutMetricDataCommand)) throw new Error(`unexpected CloudWatch command ${String(command)}`);
    const points = (command.input.MetricData ?? []).map((d) => pointId(d.MetricName ?? '?', d.Timestamp!.getTime()));
    try {
      const out = await inner.send(command, options as never);
      sends.push({ points, ok: true, attempts: out.$metadata.attempts ?? 1 });
      return out;
    } catch (err) {
      // Errors without metadata (network) may have been retried too: assume the worst.
      const attempts = (err as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? maxAttempts;
      sends.push({ points, ok: false, attempts });
      throw err;
    }
  };
  return { client: { send: send as CloudWatchSend['send'] }, sends };
}

/** How many HTTP attempts carried each point: the most times the server can have seen it. */
export function attemptsPerPoint(sends: readonly RecordedSend[]): Map<PointId, number> {
  const out = new Map<PointId, number>();
  for (const s of sends) for (const p of s.points) out.set(p, (out.get(p) ?? 0) + s.attempts);
  return out;
}

export interface Bucket {
  readonly sum: number;
  readonly samples: number;
}

/** Sum and SampleCount per 60 s period start (ms), straight from the server. */
export async function minuteBuckets(
  client: Pick<CloudWatchClient, 'send'>,
  q: { namespace: string; vehicleId: string; metric: string; from: number; to: number },
): Promise<Map<number, Bucket>> {
  const out = await client.send(
    new GetMetricStatisticsCommand({
      Namespace: q.namespace,
      MetricName: q.metric,
      Dimensions: [{ Name: 'VehicleId', Value: q.vehicleId }],
      StartTime: new Date(q.from),
      EndTime: new Date(q.to),
      Period: 60,
      Statistics: ['Sum', 'SampleCount'],
    }),
  );
  const buckets = new Map<number, Bucket>();
  for (const d of out.Datapoints ?? []) buckets.set(d.Timestamp!.getTime(), { sum: d.Sum ?? 0, samples: d.SampleCount ?? 0 });
  return buckets;
}
