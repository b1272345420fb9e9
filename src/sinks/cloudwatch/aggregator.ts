/**
 * Turns telemetry events into one publish interval's CloudWatch data points. It only counts and
 * samples; the facade (sink.ts) decides when an interval ends and writes the points to the
 * outbox, and the publisher (metrics-publisher.ts) sends them.
 *
 * What each interval yields (timestamp = interval end):
 * - BytesUploaded, BytesSent, FileCount, FailureCount: sums over the interval, written even when
 *   zero, so a dashboard or the low-upload alarm sees a running daemon that moved nothing as 0
 *   rather than as a gap (a gap then means "daemon down or offline", which the alarm's
 *   TreatMissingData setting decides about). Files found already in S3 (remote skips) are not
 *   uploads and count nowhere (the reference counted them as uploaded bytes).
 * - QueueDepth, BytesPending, OldestPendingAgeSeconds: gauges from the latest queue.depth event, carried over
 *   into later intervals until a new one arrives; left out until the first one.
 * - DeletedFileCount, DeletedBytes, DeletedNotUploadedCount: sums of the deletion policies'
 *   `file.deleted` events, written (all three, zeros included) for intervals with a deletion:
 *   deletions are rare, and a daemon that deletes nothing need not cost three points a minute.
 * - DiskUsagePercent (VehicleId only): the fullest filesystem holding a watched directory, from
 *   the deletion policies' latest `disk.usage` events (df's Use%); before the first one, sampled
 *   from the probe at the interval end; left out when neither has a value. Kept next to the
 *   per-filesystem points so existing dashboards and the reference's alarm keep working.
 * - DiskUsagePercent with a Filesystem dimension (VehicleId + Filesystem): one point per
 *   filesystem from its latest `disk.usage` event, Filesystem = the event's path (the first
 *   watched directory on that filesystem, percent-encoded where CloudWatch wants ASCII; left out
 *   when longer than CloudWatch takes); none before the first event (the probe sees one value).
 * - CurrentLink, CellularBytesUsed: gauges from the latest link.state event (only with
 *   upload.links); StalledUploads: the interval's sum, left out while it is 0 (a gap = none).
 * - QueueDepth and BytesQueued with a Priority dimension (VehicleId + Priority = high | normal |
 *   low): gauges from the latest queue.depth event that carried the queue by priority (only when
 *   priorities, links or markers are configured); the vehicle-wide QueueDepth stays beside them.
 */
import type { QueueByPriority, TelemetryEvent } from '../../telemetry/events.js';
import type { MetricDatum } from '../../state/types.js';
import type { DiskProbe } from './disk-probe.js';
import { FILESYSTEM_DIMENSION, PRIORITY_DIMENSION, datum, dimensionValue } from './encode.js';
import { PRIORITIES } from '../../priority/priority.js';
import { LINK_CODES } from '../../link/link-kind.js';

export class MetricsAggregator {
  private bytesUploaded = 0;
  private bytesSent = 0;
  private files = 0;
  private failures = 0;
  private queued: number | null = null;
  private oldestQueuedAt: number | null = null;
  private bytesPending = 0;
  private activity = false;
  private deletedFiles = 0;
  private deletedBytes = 0;
  private deletedNotUploaded = 0;
  private readonly diskByPath = new Map<string, number>();
  private link: { code: number; cellularBytesUsed: number } | null = null;
  private stalled = 0;
  private byPriority: QueueByPriority | null = null;

  constructor(private readonly diskProbe: DiskProbe | null = null) {}

  /** A telemetry listener: `telemetry.on((e) => aggregator.record(e))`. */
  record(e: TelemetryEvent): void {
    switch (e.type) {
      case 'file.uploaded':
        if (e.remoteSkip) return;
        this.bytesUploaded += e.sourceBytes;
        this.bytesSent += e.sentBytes;
        this.files += 1;
        break;
      case 'file.failed':
        this.failures += 1;
        break;
      case 'file.deleted':
        this.deletedFiles += 1;
        this.deletedBytes += e.size;
        if (!e.uploaded) this.deletedNotUploaded += 1;
        break;
      case 'disk.usage':
        this.diskByPath.set(e.path, e.usedPercent);
        return;
      case 'queue.depth':
        this.queued = e.queued;
        this.oldestQueuedAt = e.oldestQueuedAt;
        this.bytesPending = e.bytesPending;
        this.byPriority = e.byPriority ?? this.byPriority;
        break;
      case 'link.state':
        this.link = { code: LINK_CODES[e.link], cellularBytesUsed: e.cellularBytesUsed };
        break;
      case 'upload.stalled':
        this.stalled += 1;
        break;
      default:
        return;
    }
    this.activity = true;
  }

  /** True when something was recorded since the last reset. */
  get dirty(): boolean {
    return this.activity;
  }

  /** The data points of the interval ending at `end`. Does not reset: call reset() once they are stored. */
  snapshot(end: number): MetricDatum[] {
    const out = [
      datum('BytesUploaded', this.bytesUploaded, end),
      datum('BytesSent', this.bytesSent, end),
      datum('FileCount', this.files, end),
      datum('FailureCount', this.failures, end),
    ];
    if (this.deletedFiles > 0) {
      out.push(
        datum('DeletedFileCount', this.deletedFiles, end),
        datum('DeletedBytes', this.deletedBytes, end),
        datum('DeletedNotUploadedCount', this.deletedNotUploaded, end),
      );
    }
    if (this.queued !== null) {
      out.push(datum('QueueDepth', this.queued, end));
      out.push(datum('BytesPending', this.bytesPending, end));
      const age = this.queued > 0 && this.oldestQueuedAt !== null ? Math.max(0, Math.round((end - this.oldestQueuedAt) / 1000)) : 0;
      out.push(datum('OldestPendingAgeSeconds', age, end));
    }
    if (this.link !== null) {
      out.push(datum('CurrentLink', this.link.code, end), datum('CellularBytesUsed', this.link.cellularBytesUsed, end));
    }
    if (this.stalled > 0) out.push(datum('StalledUploads', this.stalled, end));
    const q = this.byPriority;
    if (q !== null) {
      for (const p of PRIORITIES) {
        const dimension = { name: PRIORITY_DIMENSION, value: p };
        out.push(datum('QueueDepth', q[p].files, end, dimension), datum('BytesQueued', q[p].bytes, end, dimension));
      }
    }
    for (const [path, used] of [...this.diskByPath].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const value = dimensionValue(path);
      if (value !== null) out.push(datum('DiskUsagePercent', percent(used), end, { name: FILESYSTEM_DIMENSION, value }));
    }
    const disk = this.diskByPath.size > 0 ? Math.max(...this.diskByPath.values()) : this.sampleDisk();
    if (disk !== null) out.push(datum('DiskUsagePercent', percent(disk), end));
    return out;
  }

  /** Starts a new interval: sums go back to zero, gauges carry over. */
  reset(): void {
    this.bytesUploaded = 0;
    this.bytesSent = 0;
    this.files = 0;
    this.failures = 0;
    this.deletedFiles = 0;
    this.deletedBytes = 0;
    this.deletedNotUploaded = 0;
    this.stalled = 0;
    this.activity = false;
  }

  private sampleDisk(): number | null {
    if (this.diskProbe === null) return null;
    try {
      const v = this.diskProbe();
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    } catch {
      return null;
    }
  }
}

/** df-style figures to two decimals: finer digits are statfs noise and cost request bytes. */
function percent(v: number): number {
  return Math.round(v * 100) / 100;
}
