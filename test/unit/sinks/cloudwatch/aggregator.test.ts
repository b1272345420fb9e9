import { expect } from 'chai';
import { MetricsAggregator } from '../../../../src/sinks/cloudwatch/aggregator.js';
import type { TelemetryEvent } from '../../../../src/telemetry/events.js';
import type { MetricDatum } from '../../../../src/state/types.js';
import { T0 } from './helpers.js';

function uploaded(sourceBytes: number, sentBytes: number, remoteSkip = false): TelemetryEvent {
  return { type: 'file.uploaded', path: '/l/a.log', key: 'k', source: 'ros', sourceBytes, sentBytes, codec: 'gzip', latencyMs: 5, remoteSkip };
}
function failed(): TelemetryEvent {
  return { type: 'file.failed', path: '/l/a.log', key: null, code: 'TVM_ERR_S3_TRANSIENT', message: 'x', attempts: 1, retryInMs: 1, retriability: 'retriable', hint: null };
}
const byName = (data: MetricDatum[]): Record<string, number> => Object.fromEntries(data.map((d) => [d.name, d.value]));

describe('cloudwatch/aggregator', () => {
  it('sums uploaded source bytes, bytes sent and files over an interval', () => {
    const a = new MetricsAggregator();
    a.record(uploaded(1000, 200));
    a.record(uploaded(3000, 900));
    expect(byName(a.snapshot(T0))).to.deep.equal({ BytesUploaded: 4000, BytesSent: 1100, FileCount: 2, FailureCount: 0 });
  });

  it('does not count files found already in S3 as uploads', () => {
    const a = new MetricsAggregator();
    a.record(uploaded(1000, 200));
    a.record(uploaded(5000, 0, true));
    const m = byName(a.snapshot(T0));
    expect(m.BytesUploaded).to.equal(1000);
    expect(m.FileCount).to.equal(1);
    expect(m.BytesSent).to.equal(200);
  });

  it('counts every file.failed event as a failure and ignores unrelated events', () => {
    const a = new MetricsAggregator();
    a.record(failed());
    a.record(failed());
    a.record({ type: 'file.vanished', path: '/x' });
    a.record({ type: 'watch.error', dir: '/x', message: 'm' });
    expect(byName(a.snapshot(T0)).FailureCount).to.equal(2);
  });

  it('writes zero counters for a quiet interval, stamped with the interval end and the right units', () => {
    const a = new MetricsAggregator();
    expect(a.snapshot(T0)).to.deep.equal([
      { name: 'BytesUploaded', unit: 'Bytes', value: 0, timestamp: T0 },
      { name: 'BytesSent', unit: 'Bytes', value: 0, timestamp: T0 },
      { name: 'FileCount', unit: 'Count', value: 0, timestamp: T0 },
      { name: 'FailureCount', unit: 'Count', value: 0, timestamp: T0 },
    ]);
    expect(a.dirty).to.equal(false);
  });

  it('reports the latest queue depth and the age of the oldest queued file at the interval end', () => {
    const a = new MetricsAggregator();
    a.record({ type: 'queue.depth', queued: 9, inFlight: 1, oldestQueuedAt: T0 - 100_000, bytesPending: 0 });
    a.record({ type: 'queue.depth', queued: 4, inFlight: 2, oldestQueuedAt: T0 - 30_000, bytesPending: 4096 });
    const m = a.snapshot(T0);
    expect(m.find((d) => d.name === 'QueueDepth')).to.deep.equal({ name: 'QueueDepth', unit: 'Count', value: 4, timestamp: T0 });
    expect(m.find((d) => d.name === 'OldestPendingAgeSeconds')).to.deep.equal({ name: 'OldestPendingAgeSeconds', unit: 'Seconds', value: 30, timestamp: T0 });
    expect(m.find((d) => d.name === 'BytesPending')).to.deep.equal({ name: 'BytesPending', unit: 'Bytes', value: 4096, timestamp: T0 });
  });

  it('carries the queue gauges into later intervals and ages the oldest file with the clock', () => {
    const a = new MetricsAggregator();
    a.record({ type: 'queue.depth', queued: 2, inFlight: 0, oldestQueuedAt: T0, bytesPending: 0 });
    a.snapshot(T0 + 60_000);
    a.reset();
    const m = byName(a.snapshot(T0 + 120_000));
    expect(m.QueueDepth).to.equal(2);
    expect(m.OldestPendingAgeSeconds).to.equal(120);
  });

  it('reports age 0 when the queue is empty, and leaves the gauges out until the first queue.depth', () => {
    const a = new MetricsAggregator();
    expect(byName(a.snapshot(T0))).to.not.have.property('QueueDepth');
    a.record({ type: 'queue.depth', queued: 0, inFlight: 3, oldestQueuedAt: T0 - 999_000, bytesPending: 0 });
    expect(byName(a.snapshot(T0)).OldestPendingAgeSeconds).to.equal(0);
    a.record({ type: 'queue.depth', queued: 1, inFlight: 0, oldestQueuedAt: null, bytesPending: 0 });
    expect(byName(a.snapshot(T0)).OldestPendingAgeSeconds).to.equal(0);
  });

  it('starts each interval from zero after reset, keeping nothing of the previous sums', () => {
    const a = new MetricsAggregator();
    a.record(uploaded(10, 5));
    a.record(failed());
    expect(a.dirty).to.equal(true);
    a.reset();
    expect(a.dirty).to.equal(false);
    expect(byName(a.snapshot(T0))).to.deep.equal({ BytesUploaded: 0, BytesSent: 0, FileCount: 0, FailureCount: 0 });
  });

  it('keeps accumulating across snapshots until reset (a failed outbox write loses nothing)', () => {
    const a = new MetricsAggregator();
    a.record(uploaded(10, 5));
    a.snapshot(T0);
    a.record(uploaded(7, 1));
    expect(byName(a.snapshot(T0 + 1)).BytesUploaded).to.equal(17);
  });

  it('samples DiskUsagePercent from the probe, rounded to two decimals', () => {
    const a = new MetricsAggregator(() => 42.123456);
    expect(a.snapshot(T0).find((d) => d.name === 'DiskUsagePercent')).to.deep.equal({
      name: 'DiskUsagePercent',
      unit: 'Percent',
      value: 42.12,
      timestamp: T0,
    });
  });

  it('leaves DiskUsagePercent out when the probe has no value, returns garbage or throws', () => {
    for (const probe of [() => null, () => Number.NaN, () => { throw new Error('statfs failed'); }]) {
      const a = new MetricsAggregator(probe);
      expect(a.snapshot(T0).map((d) => d.name)).to.not.include('DiskUsagePercent');
    }
  });

  describe('DiskUsagePercent per filesystem', () => {
    const usage = (path: string, usedPercent: number): TelemetryEvent => ({ type: 'disk.usage', path, usedPercent, availableBytes: 1, totalBytes: 2 });
    const disk = (data: MetricDatum[]): MetricDatum[] => data.filter((d) => d.name === 'DiskUsagePercent');

    it('publishes one point per filesystem with a Filesystem dimension, and the fullest one vehicle-wide', () => {
      const a = new MetricsAggregator(() => 5);
      a.record(usage('/mnt/logs', 97.126));
      a.record(usage('/', 40));
      expect(disk(a.snapshot(T0))).to.deep.equal([
        { name: 'DiskUsagePercent', unit: 'Percent', value: 40, timestamp: T0, dimension: { name: 'Filesystem', value: '/' } },
        { name: 'DiskUsagePercent', unit: 'Percent', value: 97.13, timestamp: T0, dimension: { name: 'Filesystem', value: '/mnt/logs' } },
        { name: 'DiskUsagePercent', unit: 'Percent', value: 97.13, timestamp: T0 },
      ]);
    });

    it('keeps the latest figure per filesystem and carries it into later intervals', () => {
      const a = new MetricsAggregator();
      a.record(usage('/mnt/logs', 97));
      a.record(usage('/', 40));
      a.snapshot(T0);
      a.reset();
      a.record(usage('/mnt/logs', 60));
      const later = disk(a.snapshot(T0 + 60_000));
      expect(later.map((d) => [d.dimension?.value ?? '(vehicle)', d.value, d.timestamp])).to.deep.equal([
        ['/', 40, T0 + 60_000],
        ['/mnt/logs', 60, T0 + 60_000],
        ['(vehicle)', 60, T0 + 60_000],
      ]);
    });

    it('sends a non-ASCII path percent-encoded and leaves out a path too long for CloudWatch, keeping it in the vehicle-wide figure', () => {
      const a = new MetricsAggregator();
      a.record(usage('/data/fahrt-ü', 50));
      a.record(usage('/' + 'x'.repeat(2000), 99));
      expect(disk(a.snapshot(T0)).map((d) => [d.dimension?.value ?? '(vehicle)', d.value])).to.deep.equal([
        ['/data/fahrt-%C3%BC', 50],
        ['(vehicle)', 99],
      ]);
    });

    it('has no per-filesystem point before the first disk.usage event: the probe is only the vehicle-wide figure', () => {
      const a = new MetricsAggregator(() => 33);
      expect(disk(a.snapshot(T0))).to.deep.equal([{ name: 'DiskUsagePercent', unit: 'Percent', value: 33, timestamp: T0 }]);
      expect(disk(new MetricsAggregator().snapshot(T0))).to.deep.equal([]);
    });
  });
});
