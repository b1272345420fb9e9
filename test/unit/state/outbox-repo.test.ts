import { expect } from 'chai';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { MIGRATIONS } from '../../../src/state/migrations.js';
import type { MetricDatum } from '../../../src/state/types.js';
import type { StateStore } from '../../../src/state/store.js';
import { closeAndRemove, migratedDb, open, storeInTempDir, tempDir } from './helpers.js';

describe('OutboxRepo', () => {
  let dir: string;
  let store: StateStore;
  const datum = (name: string, timestamp: number, value = 1): MetricDatum => ({ name, unit: 'Count', value, timestamp });

  beforeEach(() => ({ dir, store } = storeInTempDir()));
  afterEach(() => closeAndRemove(store, dir));

  it('keeps data points in insertion order until acknowledged', () => {
    store.outbox.add(datum('FileCount', 10, 3));
    store.outbox.add([datum('BytesUploaded', 20, 1e9), { name: 'DiskUsagePercent', unit: 'Percent', value: 41.5, timestamp: 30 }]);
    const peeked = store.outbox.peek(10);
    expect(peeked.map(({ id: _id, ...d }) => d)).to.deep.equal([
      datum('FileCount', 10, 3),
      datum('BytesUploaded', 20, 1e9),
      { name: 'DiskUsagePercent', unit: 'Percent', value: 41.5, timestamp: 30 },
    ]);
    expect(store.outbox.peek(2)).to.deep.equal(peeked.slice(0, 2));
    expect(store.outbox.count()).to.equal(3);
    store.outbox.ack(peeked.slice(0, 2).map((e) => e.id));
    expect(store.outbox.peek(10)).to.deep.equal(peeked.slice(2));
    expect(store.outbox.count()).to.equal(1);
  });

  it('survives a restart', () => {
    store.outbox.add(datum('FileCount', 10));
    store.close();
    store = open(dir);
    expect(store.outbox.count()).to.equal(1);
    expect(store.outbox.peek(1)[0]).to.include({ name: 'FileCount' });
  });

  it('never reuses ids, so a late ack cannot remove points written after a drop', () => {
    store.outbox.add([datum('A', 1), datum('B', 2)]);
    const sent = store.outbox.peek(10).map((e) => e.id);
    expect(store.outbox.dropOlderThan(100)).to.equal(2);
    store.outbox.add(datum('C', 200));
    store.outbox.ack(sent);
    expect(store.outbox.peek(10).map((e) => e.name)).to.deep.equal(['C']);
  });

  it('acknowledges large batches and ignores unknown ids', () => {
    store.outbox.add(Array.from({ length: 1200 }, (_, i) => datum('M', i)));
    const ids = store.outbox.peek(5000).map((e) => e.id);
    store.outbox.ack([...ids.slice(0, 1100), 999_999]);
    expect(store.outbox.count()).to.equal(100);
    store.outbox.ack([]);
    store.outbox.add([]);
    expect(store.outbox.count()).to.equal(100);
  });

  it('drops points older than a cutoff (CloudWatch rejects data older than 14 days)', () => {
    store.outbox.add([datum('old', 100), datum('edge', 200), datum('new', 300)]);
    expect(store.outbox.dropOlderThan(200)).to.equal(1);
    expect(store.outbox.peek(10).map((e) => e.name)).to.deep.equal(['edge', 'new']);
  });

  it('rejects non-finite values as a caller bug, writing nothing of the batch', () => {
    try {
      store.outbox.add([datum('ok', 1), datum('bad', 2, NaN)]);
      expect.fail('should throw');
    } catch (err) {
      expect((err as TvmError).code).to.equal(ErrorCodes.INTERNAL);
      expect((err as TvmError).message).to.contain('bad');
    }
    expect(store.outbox.count()).to.equal(0);
  });

  it('treats a negative or fractional peek limit sanely', () => {
    store.outbox.add([datum('A', 1), datum('B', 2)]);
    expect(store.outbox.peek(-1)).to.deep.equal([]);
    expect(store.outbox.peek(1.9)).to.have.length(1);
  });

  it('keeps a point\'s extra dimension across a restart, and none on a vehicle-wide point', () => {
    const perFs: MetricDatum = { name: 'DiskUsagePercent', unit: 'Percent', value: 91.5, timestamp: 10, dimension: { name: 'Filesystem', value: '/mnt/logs' } };
    const wide: MetricDatum = { name: 'DiskUsagePercent', unit: 'Percent', value: 91.5, timestamp: 10 };
    store.outbox.add([perFs, wide]);
    store.close();
    store = open(dir);
    const peeked = store.outbox.peek(10).map(({ id: _id, ...d }) => d);
    expect(peeked).to.deep.equal([perFs, wide]);
    expect(peeked[1]).not.to.have.property('dimension');
  });

  it('keeps the points of a database from before the dimension column, and sends them vehicle-wide', () => {
    closeAndRemove(store, dir);
    dir = tempDir();
    const before = MIGRATIONS.findIndex((m) => m.description === 'outbox dimension');
    expect(before).to.be.greaterThan(0);
    const previous = migratedDb(dir, before);
    previous.prepare(`INSERT INTO outbox (name, unit, value, timestamp) VALUES ('DiskUsagePercent', 'Percent', 77, 5)`).run();
    previous.close();
    store = open(dir);
    expect(store.outbox.count()).to.equal(1);
    expect(store.outbox.peek(10).map(({ id: _id, ...d }) => d)).to.deep.equal([{ name: 'DiskUsagePercent', unit: 'Percent', value: 77, timestamp: 5 }]);
    store.outbox.add({ name: 'DiskUsagePercent', unit: 'Percent', value: 80, timestamp: 6, dimension: { name: 'Filesystem', value: '/' } });
    expect(store.outbox.peek(10)[1]!.dimension).to.deep.equal({ name: 'Filesystem', value: '/' });
  });
});
