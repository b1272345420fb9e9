/**
 * Read-only checks the e2e suite makes against the account after the daemon ran: fetch and
 * HEAD objects, the ETag S3 must give our parts (computed here independently of the daemon's
 * own arithmetic), and polling for CloudWatch data, which becomes visible only after a delay
 * (ListMetrics and GetMetricStatistics can lag minutes behind PutMetricData on AWS).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import { GetMetricStatisticsCommand, ListMetricsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';

export async function getBody(s3: Pick<S3Client, 'send'>, bucket: string, key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const chunks: Buffer[] = [];
  for await (const c of res.Body as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** HeadObject, with the stored checksums (ChecksumMode) and optionally for one part. */
export function head(s3: Pick<S3Client, 'send'>, bucket: string, key: string, partNumber?: number): Promise<HeadObjectCommandOutput> {
  return s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED', ...(partNumber === undefined ? {} : { PartNumber: partNumber }) }));
}

export const md5Hex = (b: Buffer): string => createHash('md5').update(b).digest('hex');
export const sha256Base64 = (b: Buffer): string => createHash('sha256').update(b).digest('base64');
export const unquote = (etag: string | undefined): string => (etag ?? '').replace(/"/g, '').toLowerCase();

/** S3's ETag for an object uploaded in parts of `partSize`: md5 of the parts' binary MD5s, `-N`. */
export function expectedMultipartEtag(body: Buffer, partSize: number): { etag: string; parts: number } {
  const h = createHash('md5');
  let parts = 0;
  for (let start = 0; start < body.length; start += partSize) {
    h.update(createHash('md5').update(body.subarray(start, start + partSize)).digest());
    parts += 1;
  }
  return { etag: `${h.digest('hex')}-${parts}`, parts };
}

export interface PollOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** Used in progress lines and the timeout message. */
  readonly what: string;
  readonly signal?: AbortSignal;
}

/**
 * Calls `probe` until it returns a value (not null) or the time is up. Prints one line when it
 * starts waiting and one every minute, so a CI log shows why the job is quiet.
 */
export async function pollUntil<T>(probe: () => Promise<T | null>, o: PollOptions): Promise<T> {
  const started = Date.now();
  let nextNote = started;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    const waited = Date.now() - started;
    if (waited >= o.timeoutMs) {
      throw new Error(
        `${o.what} did not become visible within ${Math.round(o.timeoutMs / 1000)} s. CloudWatch can lag several minutes ` +
          'behind PutMetricData; raise TVM_E2E_METRICS_WAIT_SECONDS if this repeats, or check the daemon log (TVM_E2E_LOG) for TVM_ERR_CLOUDWATCH.',
      );
    }
    if (Date.now() >= nextNote) {
      console.log(`      … waiting for ${o.what} (${Math.round(waited / 1000)} s of at most ${Math.round(o.timeoutMs / 1000)} s)`);
      nextNote = Date.now() + 60_000;
    }
    if (o.signal?.aborted) throw new Error(`stopped waiting for ${o.what}: aborted`);
    await new Promise((r) => setTimeout(r, Math.min(o.intervalMs, Math.max(0, o.timeoutMs - waited))));
  }
}

/** Metric names ListMetrics knows for `namespace` with VehicleId = `vehicleId`. */
export async function listedMetrics(cw: Pick<CloudWatchClient, 'send'>, namespace: string, vehicleId: string): Promise<string[]> {
  const names = new Set<string>();
  let token: string | undefined;
  do {
    const page = await cw.send(new ListMetricsCommand({ Namespace: namespace, Dimensions: [{ Name: 'VehicleId', Value: vehicleId }], NextToken: token }));
    for (const m of page.Metrics ?? []) if (m.MetricName !== undefined) names.add(m.MetricName);
    token = page.NextToken;
  } while (token !== undefined);
  return [...names].sort();
}

/** Sum and sample count of one metric over [from, to] (padded by a period on each side). */
export async function metricSum(
  cw: Pick<CloudWatchClient, 'send'>,
  o: { namespace: string; vehicleId: string; metric: string; from: number; to: number },
): Promise<{ sum: number; samples: number }> {
  const res = await cw.send(
    new GetMetricStatisticsCommand({
      Namespace: o.namespace,
      MetricName: o.metric,
      Dimensions: [{ Name: 'VehicleId', Value: o.vehicleId }],
      StartTime: new Date(o.from - 120_000),
      EndTime: new Date(o.to + 120_000),
      Period: 60,
      Statistics: ['Sum', 'SampleCount'],
    }),
  );
  const dps = res.Datapoints ?? [];
  return { sum: dps.reduce((n, d) => n + (d.Sum ?? 0), 0), samples: dps.reduce((n, d) => n + (d.SampleCount ?? 0), 0) };
}
