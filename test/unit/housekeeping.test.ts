import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sinon from 'sinon';
import { realClock } from '../../src/clock/clock.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { ABORT_STALE_EVERY_MS, Housekeeping, PRUNE_EVERY_MS, SAMPLE_EVERY_MS, type HousekeepingOptions } from '../../src/housekeeping.js';
import { openStateStore, type StateStore } from '../../src/state/store.js';
import { Health } from '../../src/telemetry/health.js';
import { Telemetry, type TelemetryEvent } from '../../src/telemetry/events.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { daemonConfigYaml } from '../support/daemon-config.js';

const DAY = 24 * 3_600_000;

describe('housekeeping', () => {
  let root: string;
  let store: StateStore;
  let fake: sinon.SinonFakeTimers;
  let events: TelemetryEvent[];
  let health: Health;
  let hk: Housekeeping | null;

  const config = (): Config =>
    parseConfig(daemonConfigYaml({ root, vehicleId: 'car-7', overrides: { s3: { region: 'eu-west-1' }, upload: { processed_files_registry: { retention_days: 2 } } } }), { env: {} });

  const start = (over: Partial<HousekeepingOptions> = {}): Housekeeping => {
    const telemetry = new Telemetry(silentLogger());
    telemetry.on((e) => events.push(e));
    const cfg = config();
    hk = new Housekeeping({ clock: realClock, health, logger: silentLogger(), telemetry, store, config: () => cfg, abortStale: async () => undefined, ...over });
    hk.start();
    return hk;
  };
  const depths = (): number => events.filter((e) => e.type === 'queue.depth').length;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tvm-housekeeping-'));
    fake = sinon.useFakeTimers({ now: Date.UTC(2026, 0, 10), toFake: ['Date', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    store = openStateStore({ dir: join(root, 'state'), logger: silentLogger() });
    events = [];
    health = new Health();
    hk = null;
  });
  afterEach(() => {
    hk?.close();
    store.close();
    fake.restore();
    rmSync(root, { recursive: true, force: true });
  });

  it('runs every chore at start, then each on its own period', () => {
    const abortStale = sinon.stub().resolves();
    const afterSample = sinon.spy();
    start({ abortStale, afterSample });
    expect([depths(), afterSample.callCount, abortStale.callCount]).to.deep.equal([1, 1, 1]);
    fake.tick(SAMPLE_EVERY_MS);
    expect([depths(), afterSample.callCount]).to.deep.equal([2, 2]);
    fake.tick(ABORT_STALE_EVERY_MS);
    expect(abortStale.callCount).to.equal(2);
    expect(depths()).to.equal(2 + ABORT_STALE_EVERY_MS / SAMPLE_EVERY_MS);
  });

  it('forgets uploaded rows older than the retention every hour', () => {
    // Uploaded 30 minutes short of the 2-day retention: the prune at start keeps it, the next
    // one (an hour later, not before) forgets it.
    const now = Date.now();
    const uploadedAt = now - 2 * DAY + 30 * 60_000;
    store.files.enqueue({ path: '/l/a.log', source: 'ros', relPath: 'a.log', size: 1, mtimeMs: now - 5 * DAY }, now);
    const row = store.files.claimNext(now, { exclude: new Set(), queuedSince: null })!;
    store.files.markUploaded(row.id, { objectKey: 'k', contentSha256: 'x'.repeat(64), uploadedAt, size: 1, mtimeMs: now - 5 * DAY });
    start();
    expect(store.files.getByPath('/l/a.log')?.status).to.equal('uploaded');
    fake.tick(PRUNE_EVERY_MS - 1);
    expect(store.files.getByPath('/l/a.log')?.status, 'no prune between the hourly ones').to.equal('uploaded');
    fake.tick(1);
    expect(store.files.getByPath('/l/a.log')).to.equal(null);
  });

  it('says a failing chore is degraded, retries it with backoff before its period, and recovers on the first success', () => {
    let fail = 2;
    start({
      afterQueueDepth: () => {
        if (fail-- > 0) throw new Error('database is locked');
      },
    });
    expect(health.reasons().map((r) => [r.key, r.message])).to.deep.equal([['housekeeping.queue depth', 'queue depth failed (database is locked)']]);
    fake.tick(1000); // first retry after 1 s: fails again
    expect(health.degraded).to.equal(true);
    fake.tick(2000); // second retry after 2 s: succeeds
    expect(health.degraded).to.equal(false);
    expect(depths()).to.equal(3);
  });

  it('logs a stale-upload abort that fails without degrading, and stops every timer and retry on close', async () => {
    const warned: string[] = [];
    const logger = { ...silentLogger(), warn: (_o: unknown, m: string) => void warned.push(m) } as never;
    const h = start({ logger, abortStale: () => Promise.reject(new Error('ListMultipartUploads: AccessDenied')), afterQueueDepth: () => { throw new Error('busy'); } });
    await Promise.resolve();
    await Promise.resolve();
    expect(warned).to.deep.equal(['could not list stale multipart uploads']);
    expect(health.reasons().map((r) => r.key)).to.deep.equal(['housekeeping.queue depth']);
    h.close();
    const before = depths();
    fake.tick(ABORT_STALE_EVERY_MS);
    expect(depths()).to.equal(before);
    h.start(); // closed for good
    expect(depths()).to.equal(before);
  });
});
