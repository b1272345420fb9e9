/**
 * Pure encoding for the CloudWatch sink: the metric names and units we publish (the reference's
 * names, kept exactly so existing dashboards keep working), outbox entries → PutMetricData
 * input, and splitting a page of entries into requests that respect CloudWatch's limits. No I/O.
 */
import type { MetricDatum as CloudWatchDatum, PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import type { MetricDatum, MetricDimension, OutboxEntry } from '../../state/types.js';

/** Metric name → unit. Namespace (default `TVM/Upload`) and the `VehicleId` dimension are fixed by the reference. */
export const METRICS = {
  ServiceStartup: 'Count',
  BytesUploaded: 'Bytes',
  BytesSent: 'Bytes',
  FileCount: 'Count',
  FailureCount: 'Count',
  QueueDepth: 'Count',
  BytesPending: 'Bytes',
  OldestPendingAgeSeconds: 'Seconds',
  DiskUsagePercent: 'Percent',
  DeletedFileCount: 'Count',
  DeletedBytes: 'Bytes',
  DeletedNotUploadedCount: 'Count',
} as const satisfies Record<string, MetricDatum['unit']>;

/**
 * Link-policy metrics (upload.links): CurrentLink is a code (LINK_CODES in link/link-kind.ts:
 * 0 offline, 1 wired, 2 wifi, 3 cellular), CellularBytesUsed the month's metered bytes;
 * StalledUploads counts uploads the stall watchdog aborted in the interval. BytesQueued (and a
 * second QueueDepth) carry a `Priority` dimension (high | normal | low): one metric name a
 * dashboard can group by, instead of a name per level.
 */
export const LINK_METRICS = {
  CurrentLink: 'None',
  CellularBytesUsed: 'Bytes',
  StalledUploads: 'Count',
  BytesQueued: 'Bytes',
} as const satisfies Record<string, MetricDatum['unit']>;

export type MetricName = keyof typeof METRICS | keyof typeof LINK_METRICS;

const UNITS: Record<MetricName, MetricDatum['unit']> = { ...METRICS, ...LINK_METRICS };

export const DIMENSION_NAME = 'VehicleId';
/** The second dimension of the per-filesystem DiskUsagePercent: the watched filesystem's path as `disk.usage` reports it. */
export const FILESYSTEM_DIMENSION = 'Filesystem';
/** The second dimension of the per-priority QueueDepth and BytesQueued: high, normal or low. */
export const PRIORITY_DIMENSION = 'Priority';

/** CloudWatch takes dimension values of 1..1024 ASCII characters, no control characters (API reference, Dimension). */
export const MAX_DIMENSION_VALUE = 1024;

/**
 * A path as a CloudWatch dimension value. Bytes outside printable ASCII, and `%` itself, are
 * percent-encoded as in a URL (`/data/fahrt-ü` → `/data/fahrt-%C3%BC`): CloudWatch would reject
 * the raw path, and a rejected request holds every point behind it in the outbox. Null when the
 * result is still unusable (too long, or blank): the caller leaves that point out.
 */
export function dimensionValue(path: string): string | null {
  let out = '';
  for (const byte of Buffer.from(path, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out.trim().length > 0 && out.length <= MAX_DIMENSION_VALUE ? out : null;
}

/** CloudWatch accepts at most 1000 MetricDatum per PutMetricData. */
export const MAX_DATA_PER_REQUEST = 1000;
/** CloudWatch's request limit is 1 MB; stay well below it (the estimate ignores headers). */
export const MAX_REQUEST_BYTES = 900_000;
/** CloudWatch rejects data points older than two weeks. */
export const MAX_AGE_MS = 14 * 24 * 3_600_000;

/** A point with VehicleId only, or with `dimension` as well (a different CloudWatch metric: dimensions are part of its identity). */
export function datum(name: MetricName, value: number, timestamp: number, dimension?: MetricDimension): MetricDatum {
  const d = { name, unit: UNITS[name], value, timestamp };
  return dimension === undefined ? d : { ...d, dimension };
}

export interface EncodeContext {
  readonly namespace: string;
  readonly vehicleId: string;
  /** Current time: timestamps later than this are clamped to it (see toCloudWatchDatum). */
  readonly now: number;
}

/**
 * One outbox entry as a CloudWatch datum. A timestamp in the future can only come from a clock
 * that was wrong when the point was written (a point is always written after what it counts);
 * CloudWatch rejects points more than two hours ahead, and one such point would block every
 * request behind it, so it is sent as "now" instead.
 */
export function toCloudWatchDatum(entry: MetricDatum, ctx: EncodeContext): CloudWatchDatum {
  return {
    MetricName: entry.name,
    Dimensions: [
      { Name: DIMENSION_NAME, Value: ctx.vehicleId },
      ...(entry.dimension === undefined ? [] : [{ Name: entry.dimension.name, Value: entry.dimension.value }]),
    ],
    Timestamp: new Date(Math.min(entry.timestamp, ctx.now)),
    Value: entry.value,
    Unit: entry.unit,
  };
}

export function encodeRequest(entries: readonly MetricDatum[], ctx: EncodeContext): PutMetricDataCommandInput {
  return { Namespace: ctx.namespace, MetricData: entries.map((e) => toCloudWatchDatum(e, ctx)) };
}

/** Bytes one datum adds to a JSON request body (upper estimate, a few bytes of slack). */
export function estimateDatumBytes(entry: MetricDatum, vehicleId: string): number {
  // {"MetricName":"…","Dimensions":[{"Name":"VehicleId","Value":"…"},{"Name":"…","Value":"…"}],"Timestamp":1.7e9,"Value":…,"Unit":"…"},
  const extra = entry.dimension === undefined ? 0 : 24 + jsonLength(entry.dimension.name) + jsonLength(entry.dimension.value);
  return 110 + extra + jsonLength(entry.name) + jsonLength(vehicleId) + jsonLength(entry.unit) + String(entry.value).length;
}

function jsonLength(s: string): number {
  return Buffer.byteLength(JSON.stringify(s));
}

export interface BatchLimits {
  readonly maxData: number;
  readonly maxBytes: number;
}

/**
 * Splits entries (in order) into requests of at most `maxData` data and about `maxBytes` bytes.
 * Every batch holds at least one entry, so an oversized entry still goes out (and fails loudly).
 */
export function planBatches<T extends OutboxEntry>(
  entries: readonly T[],
  ctx: Pick<EncodeContext, 'namespace' | 'vehicleId'>,
  limits: BatchLimits = { maxData: MAX_DATA_PER_REQUEST, maxBytes: MAX_REQUEST_BYTES },
): T[][] {
  const overhead = 40 + jsonLength(ctx.namespace);
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = overhead;
  for (const e of entries) {
    const size = estimateDatumBytes(e, ctx.vehicleId);
    if (current.length > 0 && (current.length >= limits.maxData || bytes + size > limits.maxBytes)) {
      batches.push(current);
      current = [];
      bytes = overhead;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
