import { expect } from 'chai';
import { DeletionScheduler, UPLOAD_DELAY_MS } from '../../../src/deletion/scheduler.js';
import type { PassDeps } from '../../../src/deletion/pass.js';
import { Health } from '../../../src/telemetry/health.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { ManualTimers } from '../../support/fakes.js';
import { DAY, Harness } from './harness.js';

const INTERVAL = 60_000;

/** Lets the passes the timers started run to completion (they await statfs and setImmediate). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

describe('deletion/scheduler', () => {
  let h: Harness;
  let timers: ManualTimers;
  let scheduler: DeletionScheduler;
  let pruned: number[];

  function start(pass: PassDeps = h.build().pass): DeletionScheduler {
    pruned = [];
    scheduler = new DeletionScheduler({
      pass: { ...pass, now: () => timers.now() },
      intervalMs: INTERVAL,
      timers,
      telemetry: h.telemetry,
      logger: silentLogger(),
      pruneAudit: (cutoff) => {
        pruned.push(cutoff);
        return 0;
      },
    });
    scheduler.start();
    return scheduler;
  }

  beforeEach(() => {
    h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: false } } });
    timers = new ManualTimers(h.now);
  });
  afterEach(async () => {
    await scheduler?.close();
    h.close();
  });

  it('runs a pass at start', async () => {
    const p = h.uploaded('a.log', 10, DAY);
    start();
    await settle();
    expect(scheduler.lastPass?.trigger).to.equal('start');
    expect(h.exists(p)).to.equal(false);
  });

  it('runs a pass every check interval and prunes old audit rows', async () => {
    start();
    await settle();
    const p = h.uploaded('late.log', 10, DAY);
    timers.advance(INTERVAL);
    await settle();
    expect(scheduler.lastPass?.trigger).to.equal('timer');
    expect(h.exists(p)).to.equal(false);
    expect(pruned).to.have.length(1);
    timers.advance(INTERVAL);
    await settle();
    expect(pruned).to.have.length(2);
  });

  it('deletes about a second after uploads, one pass for a burst', async () => {
    start();
    await settle();
    const passes = (): number => h.events.filter((e) => e.type === 'deletion.pass').length;
    const before = passes();
    const a = h.uploaded('a.log', 10, DAY, 0);
    const b = h.uploaded('b.log', 10, DAY, 0);
    for (const path of [a, b]) {
      h.telemetry.emit({ type: 'file.uploaded', path, key: 'k', source: 'ros', sourceBytes: 10, sentBytes: 10, codec: 'gzip', latencyMs: 1, remoteSkip: false });
    }
    await settle();
    expect(h.exists(a)).to.equal(true);
    timers.advance(UPLOAD_DELAY_MS);
    await settle();
    expect(scheduler.lastPass?.trigger).to.equal('upload');
    expect(h.exists(a) || h.exists(b)).to.equal(false);
    expect(passes() - before).to.equal(1);
  });

  it('an upload during a running pass gets a pass of its own after it', async () => {
    start();
    await settle();
    const slow = scheduler.runNow(); // running while the upload timer fires
    const p = h.uploaded('during.log', 10, DAY, 0);
    h.telemetry.emit({ type: 'file.uploaded', path: p, key: 'k', source: 'ros', sourceBytes: 10, sentBytes: 10, codec: 'gzip', latencyMs: 1, remoteSkip: false });
    timers.advance(UPLOAD_DELAY_MS);
    await slow;
    await settle();
    expect(h.exists(p)).to.equal(false);
    timers.advance(UPLOAD_DELAY_MS);
    await settle();
    expect(scheduler.lastPass?.trigger).to.equal('upload');
  });

  it('a failure to prune audit rows is logged, not fatal', async () => {
    pruned = [];
    scheduler = new DeletionScheduler({
      pass: { ...h.build().pass, now: () => timers.now() },
      intervalMs: INTERVAL,
      timers,
      telemetry: h.telemetry,
      logger: silentLogger(),
      pruneAudit: () => {
        throw new Error('database is locked');
      },
    });
    scheduler.start();
    timers.advance(INTERVAL);
    await settle();
    expect(scheduler.lastPass?.trigger).to.equal('timer');
    expect(timers.scheduled).to.equal(1);
  });

  it('reports a filesystem left at critical as a degraded reason until a pass finds it below', async () => {
    h.close();
    h = new Harness({ disk: { reserved_gb: 0.000001, warning_threshold: 0.8, critical_threshold: 0.9 }, capacity: 100 * 1024 * 1024, baseline: 95 * 1024 * 1024 });
    timers = new ManualTimers(h.now);
    const health = new Health(() => timers.now());
    scheduler = new DeletionScheduler({
      pass: { ...h.build().pass, now: () => timers.now() }, intervalMs: INTERVAL, timers, telemetry: h.telemetry, logger: silentLogger(),
      pruneAudit: () => 0, health,
    });
    scheduler.start();
    await settle();
    expect(health.reasons().map((r) => r.key)).to.deep.equal([`disk-critical:${h.logs}`]);
    h.io.baseline = 10 * 1024 * 1024;
    timers.advance(INTERVAL);
    await settle();
    expect(health.degraded).to.equal(false);
  });

  it('never overlaps passes: concurrent requests run one after the other', async () => {
    start();
    const [r1, r2] = await Promise.all([scheduler.runNow(), scheduler.runNow()]);
    expect(r1.finishedAt).to.be.at.most(r2.startedAt);
    expect(r2.trigger).to.equal('request');
  });

  it('logs a failed pass and keeps checking at the next interval', async () => {
    const good = h.build().pass;
    let fail = true;
    start({ ...good, measure: (p) => (fail ? Promise.reject(new Error('boom')) : good.measure(p)), repo: { ...good.repo, candidates: (o) => { if (fail) throw new Error('state unavailable'); return good.repo.candidates(o); }, getMeta: (k) => good.repo.getMeta(k), setMeta: (k, v) => good.repo.setMeta(k, v) } });
    await settle();
    expect(scheduler.lastPass).to.equal(null);
    fail = false;
    const p = h.uploaded('a.log', 10, DAY);
    timers.advance(INTERVAL);
    await settle();
    expect(scheduler.lastPass?.trigger).to.equal('timer');
    expect(h.exists(p)).to.equal(false);
  });

  it('close ends a running pass after the file at hand', async () => {
    for (let i = 0; i < 300; i++) h.uploaded(`f${i}.log`, 1, DAY);
    start();
    await scheduler.close();
    const left = h.store.files.countByStatus().uploaded;
    expect(left).to.be.above(0);
    expect(scheduler.lastPass?.deletedCount ?? 0).to.equal(300 - left);
  });

  it('stops its timers at close and refuses further requests', async () => {
    start();
    await settle();
    await scheduler.close();
    expect(timers.scheduled).to.equal(0);
    let err: unknown = null;
    await scheduler.runNow().catch((e: unknown) => (err = e));
    expect(String(err)).to.contain('closed');
  });
});
