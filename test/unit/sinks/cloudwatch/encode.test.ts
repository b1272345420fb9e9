import { expect } from 'chai';
import {
  DIMENSION_NAME,
  FILESYSTEM_DIMENSION,
  MAX_DIMENSION_VALUE,
  dimensionValue,
  METRICS,
  datum,
  encodeRequest,
  estimateDatumBytes,
  planBatches,
  toCloudWatchDatum,
} from '../../../../src/sinks/cloudwatch/encode.js';
import type { OutboxEntry } from '../../../../src/state/types.js';
import { T0 } from './helpers.js';

const ctx = { namespace: 'TVM/Upload', vehicleId: 'vehicle-7', now: T0 };

function entries(n: number, name = 'BytesUploaded'): OutboxEntry[] {
  return Array.from({ length: n }, (_, i) => ({ id: i + 1, name, unit: 'Bytes' as const, value: i, timestamp: T0 - 1000 }));
}

describe('cloudwatch/encode', () => {
  it('publishes the reference metric names with their units, plus the new ones', () => {
    expect(METRICS).to.deep.equal({
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
    });
    expect(datum('FileCount', 3, 5)).to.deep.equal({ name: 'FileCount', unit: 'Count', value: 3, timestamp: 5 });
  });

  it('encodes a datum with exactly one VehicleId dimension, the unit and a Date timestamp', () => {
    const d = toCloudWatchDatum({ name: 'BytesUploaded', unit: 'Bytes', value: 42, timestamp: T0 - 60_000 }, ctx);
    expect(d).to.deep.equal({
      MetricName: 'BytesUploaded',
      Dimensions: [{ Name: 'VehicleId', Value: 'vehicle-7' }],
      Timestamp: new Date(T0 - 60_000),
      Value: 42,
      Unit: 'Bytes',
    });
    expect(DIMENSION_NAME).to.equal('VehicleId');
  });

  it('sends a point stamped in the future (a clock that was wrong) as now, so CloudWatch does not reject the batch', () => {
    const d = toCloudWatchDatum({ name: 'FileCount', unit: 'Count', value: 1, timestamp: T0 + 5 * 3_600_000 }, ctx);
    expect(d.Timestamp).to.deep.equal(new Date(T0));
  });

  it('puts the configured namespace on the request', () => {
    const req = encodeRequest(entries(2), { ...ctx, namespace: 'Fleet/Logs' });
    expect(req.Namespace).to.equal('Fleet/Logs');
    expect(req.MetricData).to.have.length(2);
  });

  it('splits 2,500 points into requests of 1000, 1000 and 500 in order', () => {
    const batches = planBatches(entries(2500), ctx);
    expect(batches.map((b) => b.length)).to.deep.equal([1000, 1000, 500]);
    expect(batches[0]![0]!.id).to.equal(1);
    expect(batches[2]![499]!.id).to.equal(2500);
  });

  it('keeps each request under the byte limit', () => {
    const list = entries(100);
    const per = estimateDatumBytes(list[0]!, ctx.vehicleId);
    const batches = planBatches(list, ctx, { maxData: 1000, maxBytes: 100 + per * 30 });
    expect(batches.length).to.be.greaterThan(3);
    for (const b of batches) expect(b.length).to.be.at.most(30);
    expect(batches.flat()).to.have.length(100);
  });

  it('never produces an empty request, even when one point exceeds the byte limit', () => {
    const batches = planBatches(entries(3), ctx, { maxData: 1000, maxBytes: 10 });
    expect(batches.map((b) => b.length)).to.deep.equal([1, 1, 1]);
    expect(planBatches([], ctx)).to.deep.equal([]);
  });

  it('estimates at least the real JSON size of a datum', () => {
    const e = { name: 'OldestPendingAgeSeconds', unit: 'Seconds' as const, value: 123456.75, timestamp: T0 };
    const real = JSON.stringify({ ...toCloudWatchDatum(e, ctx), Timestamp: T0 / 1000 }).length;
    expect(estimateDatumBytes(e, ctx.vehicleId)).to.be.at.least(real);
  });

  it('sends a point\'s extra dimension after VehicleId, so per-filesystem DiskUsagePercent is its own metric', () => {
    const e = datum('DiskUsagePercent', 93.25, T0 - 1000, { name: FILESYSTEM_DIMENSION, value: '/mnt/logs' });
    expect(e).to.deep.equal({ name: 'DiskUsagePercent', unit: 'Percent', value: 93.25, timestamp: T0 - 1000, dimension: { name: 'Filesystem', value: '/mnt/logs' } });
    expect(toCloudWatchDatum(e, ctx).Dimensions).to.deep.equal([
      { Name: 'VehicleId', Value: 'vehicle-7' },
      { Name: 'Filesystem', Value: '/mnt/logs' },
    ]);
    expect(toCloudWatchDatum(datum('DiskUsagePercent', 93.25, T0), ctx).Dimensions).to.deep.equal([{ Name: 'VehicleId', Value: 'vehicle-7' }]);
  });

  it('estimates at least the real JSON size of a datum with an extra dimension', () => {
    const e = datum('DiskUsagePercent', 99.99, T0, { name: FILESYSTEM_DIMENSION, value: '/var/log/"quoted"/très-long-chemin' });
    const real = JSON.stringify({ ...toCloudWatchDatum(e, ctx), Timestamp: T0 / 1000 }).length;
    expect(estimateDatumBytes(e, ctx.vehicleId)).to.be.at.least(real);
    expect(estimateDatumBytes(e, ctx.vehicleId)).to.be.greaterThan(estimateDatumBytes(datum('DiskUsagePercent', 99.99, T0), ctx.vehicleId));
  });

  it('turns a path into a dimension value CloudWatch accepts: printable ASCII as is, other bytes and % percent-encoded', () => {
    expect(dimensionValue('/var/log/tvm run_1')).to.equal('/var/log/tvm run_1');
    expect(dimensionValue('/data/fahrt-ü')).to.equal('/data/fahrt-%C3%BC');
    expect(dimensionValue('/logs/50%/a\tb')).to.equal('/logs/50%25/a%09b');
    expect(dimensionValue('/' + 'a'.repeat(MAX_DIMENSION_VALUE - 1))).to.have.length(MAX_DIMENSION_VALUE);
  });

  it('has no dimension value for a path CloudWatch could not take even encoded (too long, blank)', () => {
    expect(dimensionValue('/' + 'a'.repeat(MAX_DIMENSION_VALUE))).to.equal(null);
    expect(dimensionValue('/' + 'ü'.repeat(400))).to.equal(null); // 800 bytes → 2400 characters encoded
    expect(dimensionValue('   ')).to.equal(null);
    expect(dimensionValue('')).to.equal(null);
  });
});
