import { expect } from 'chai';
import { DeletionService } from '../../../src/deletion/service.js';
import { Health } from '../../../src/telemetry/health.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { ManualTimers } from '../../support/fakes.js';
import { DAY, Harness } from './harness.js';

describe('deletion/service', () => {
  let h: Harness;
  let clock: ManualTimers;
  let svc: DeletionService;
  let logged: string[];

  beforeEach(() => {
    h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 1 }, age_based: { enabled: false } } });
    clock = new ManualTimers(h.now);
    logged = [];
    const logger = { ...silentLogger(), info: (_o: unknown, m: string) => void logged.push(m), warn: (_o: unknown, m: string) => void logged.push(m) } as never;
    svc = new DeletionService({
      db: h.store.db, dbPath: h.store.dbPath, telemetry: h.telemetry, logger, clock, health: new Health(),
      probes: { diskIo: h.io }, enqueue: (i, t) => void h.store.files.enqueue(i, t),
    });
  });
  afterEach(async () => {
    await svc.close();
    h.close();
  });

  it('takes no request before it is started', async () => {
    expect(svc.request()).to.equal(false);
    await svc.runNow().then(() => expect.fail('resolved'), (err: Error) => expect(err.message).to.match(/not running/));
  });

  it('runs a pass on request and logs its outcome', async () => {
    const path = h.uploaded('a.log', 100, 3 * DAY);
    svc.start(h.config);
    expect(svc.request()).to.equal(true);
    for (let i = 0; i < 200 && !logged.includes('deletion pass requested by signal finished'); i++) await new Promise((r) => setImmediate(r));
    expect(logged).to.include('deletion pass requested by signal finished');
    expect(h.exists(path)).to.equal(false);
  });

  it('says what could be deleted now without deleting it', async () => {
    const path = h.uploaded('b.log', 100, 3 * DAY);
    const status = await svc.status(h.config);
    expect(status.deletableNow.files).to.equal(1);
    expect(h.exists(path)).to.equal(true);
  });

  it('rebuilds the policies on a reload that changes them, and only then', async () => {
    svc.start(h.config);
    const path = h.uploaded('c.log', 100, 3 * DAY, 12 * 3_600_000);
    await svc.apply(h.config, h.config); // unchanged: the same policies (keep_days 1 keeps the file)
    await svc.runNow();
    expect(h.exists(path)).to.equal(true);
    const after = { ...h.config, deletion: { ...h.config.deletion, afterUpload: { ...h.config.deletion.afterUpload, keepDays: 0 } } };
    await svc.apply(h.config, after);
    await svc.runNow();
    expect(h.exists(path)).to.equal(false);
  });

  it('starts nothing once closed, also through a reload', async () => {
    svc.start(h.config);
    await svc.close();
    const after = { ...h.config, disk: { ...h.config.disk, checkIntervalSeconds: h.config.disk.checkIntervalSeconds + 1 } };
    await svc.apply(h.config, after);
    expect(svc.request()).to.equal(false);
  });
});
