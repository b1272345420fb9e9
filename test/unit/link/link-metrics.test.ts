import { expect } from 'chai';
import { MetricsAggregator } from '../../../src/sinks/cloudwatch/aggregator.js';
import { Telemetry } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';

const byName = (data: { name: string; value: number; unit: string }[]) => Object.fromEntries(data.map((d) => [d.name, [d.value, d.unit]]));

describe('link metrics (CloudWatch and /metrics)', () => {
  it('publishes no link metric without link events', () => {
    const names = new MetricsAggregator().snapshot(1000).map((d) => d.name);
    expect(names).to.not.include.members(['CurrentLink', 'CellularBytesUsed', 'StalledUploads']);
  });

  it('carries CurrentLink and CellularBytesUsed over intervals and sums StalledUploads per interval', () => {
    const a = new MetricsAggregator();
    a.record({ type: 'link.state', link: 'cellular', cellularBytesUsed: 1234 });
    a.record({ type: 'upload.stalled', timeoutSeconds: 120 });
    a.record({ type: 'upload.stalled', timeoutSeconds: 120 });
    expect(a.dirty).to.equal(true);
    expect(byName(a.snapshot(1000))).to.deep.include({ CurrentLink: [3, 'None'], CellularBytesUsed: [1234, 'Bytes'], StalledUploads: [2, 'Count'] });
    a.reset();
    const next = byName(a.snapshot(2000));
    expect(next).to.deep.include({ CurrentLink: [3, 'None'] });
    expect(next).to.not.have.property('StalledUploads');
  });

  it('exposes the link, the cellular bytes and the stall count on /metrics', async () => {
    const t = new Telemetry(silentLogger());
    t.emit({ type: 'link.state', link: 'wifi', cellularBytesUsed: 99 });
    t.emit({ type: 'upload.stalled', timeoutSeconds: 120 });
    const text = await t.registry.metrics();
    expect(text).to.contain('tvm_upload_link{link="wifi"} 1').and.contain('tvm_upload_link{link="cellular"} 0');
    expect(text).to.contain('tvm_upload_cellular_bytes_used 99').and.contain('tvm_upload_stalled_uploads_total 1');
  });

  it('publishes QueueDepth and BytesQueued with a Priority dimension only when the depth event carries them, beside the vehicle-wide QueueDepth', async () => {
    const a = new MetricsAggregator();
    a.record({ type: 'queue.depth', queued: 3, inFlight: 0, oldestQueuedAt: null, bytesPending: 0 });
    const before = a.snapshot(1);
    expect(before.filter((d) => d.dimension !== undefined)).to.deep.equal([]);
    expect(before.map((d) => d.name)).to.not.include('BytesQueued');
    const byPriority = { high: { files: 1, bytes: 10 }, normal: { files: 2, bytes: 20 }, low: { files: 0, bytes: 0 } };
    a.record({ type: 'queue.depth', queued: 3, inFlight: 0, oldestQueuedAt: null, bytesPending: 0, byPriority });
    const points = a.snapshot(2).filter((d) => d.name === 'QueueDepth' || d.name === 'BytesQueued');
    expect(points.map((d) => [d.name, d.dimension?.value ?? null, d.value, d.unit])).to.have.deep.members([
      ['QueueDepth', null, 3, 'Count'],
      ['QueueDepth', 'high', 1, 'Count'],
      ['QueueDepth', 'normal', 2, 'Count'],
      ['QueueDepth', 'low', 0, 'Count'],
      ['BytesQueued', 'high', 10, 'Bytes'],
      ['BytesQueued', 'normal', 20, 'Bytes'],
      ['BytesQueued', 'low', 0, 'Bytes'],
    ]);
    expect(points.filter((d) => d.dimension !== undefined).every((d) => d.dimension!.name === 'Priority')).to.equal(true);
    a.reset();
    expect(a.snapshot(3).filter((d) => d.dimension?.name === 'Priority')).to.have.length(6);
    const t = new Telemetry(silentLogger());
    t.emit({ type: 'queue.depth', queued: 3, inFlight: 0, oldestQueuedAt: null, bytesPending: 0, byPriority });
    const text = await t.registry.metrics();
    expect(text).to.contain('tvm_upload_queue_files_by_priority{priority="normal"} 2').and.contain('tvm_upload_queue_bytes_by_priority{priority="high"} 10');
  });
});
