import { expect } from 'chai';
import { MetricsAggregator } from '../../../src/sinks/cloudwatch/aggregator.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { capturingLogger } from '../state/helpers.js';

const deleted = (uploaded: boolean, size = 100, policy = 'emergency'): TelemetryEvent => ({
  type: 'file.deleted', path: '/logs/a.log', source: 'ros', policy, reason: 'r', size, mtimeMs: 0, uploaded, sha256: uploaded ? 'ab' : null,
});

describe('telemetry of deletions', () => {
  it('logs an uploaded deletion at info and an un-uploaded one as a warning, and counts both on /metrics', async () => {
    const { logger, lines } = capturingLogger();
    const t = new Telemetry(logger);
    t.emit(deleted(true, 100, 'after_upload'));
    t.emit(deleted(false, 50));
    expect(lines.map((l) => [l.level, l.msg, l.policy])).to.deep.equal([
      ['info', 'deleted local file (uploaded)', 'after_upload'],
      ['warn', 'deleted local file that was NOT uploaded', 'emergency'],
    ]);
    expect(lines[1]).to.include({ path: '/logs/a.log', size: 50, mtime: '1970-01-01T00:00:00.000Z' });
    const text = await t.registry.metrics();
    expect(text).to.include('tvm_upload_deleted_files_total{policy="after_upload"} 1');
    expect(text).to.include('tvm_upload_deleted_bytes_total{policy="emergency"} 50');
    expect(text).to.include('tvm_upload_deleted_not_uploaded_total{policy="emergency"} 1');
  });

  it('exposes disk usage per watched filesystem and logs a pass only when it deleted something', async () => {
    const { logger, lines } = capturingLogger();
    const t = new Telemetry(logger);
    t.emit({ type: 'disk.usage', path: '/logs', usedPercent: 91.5, availableBytes: 1000, totalBytes: 5000 });
    t.emit({ type: 'deletion.pass', trigger: 'timer', deleted: 0, bytes: 0, notUploaded: 0, ms: 3 });
    t.emit({ type: 'deletion.pass', trigger: 'timer', deleted: 2, bytes: 300, notUploaded: 1, ms: 3 });
    const text = await t.registry.metrics();
    expect(text).to.include('tvm_upload_log_disk_used_percent{path="/logs"} 91.5');
    expect(text).to.include('tvm_upload_disk_available_bytes{path="/logs"} 1000');
    expect(lines.map((l) => [l.level, l.msg])).to.deep.equal([
      ['debug', 'deletion pass: nothing to delete'],
      ['info', 'deletion pass complete'],
    ]);
  });

  it('CloudWatch: deletion sums only for intervals with a deletion; DiskUsagePercent is the fullest filesystem', () => {
    const a = new MetricsAggregator(() => 10);
    const names = (): Record<string, number> => Object.fromEntries(a.snapshot(0).map((d) => [d.name, d.value]));
    expect(names()).to.not.have.property('DeletedFileCount');
    expect(names().DiskUsagePercent).to.equal(10);
    a.record(deleted(true, 100));
    a.record(deleted(false, 50));
    a.record({ type: 'disk.usage', path: '/a', usedPercent: 40, availableBytes: 1, totalBytes: 2 });
    a.record({ type: 'disk.usage', path: '/b', usedPercent: 97.123, availableBytes: 1, totalBytes: 2 });
    expect(names()).to.include({ DeletedFileCount: 2, DeletedBytes: 150, DeletedNotUploadedCount: 1, DiskUsagePercent: 97.12 });
    a.reset();
    expect(names()).to.not.have.property('DeletedFileCount');
    expect(names().DiskUsagePercent).to.equal(97.12); // a gauge: carried over
  });
});
