import { expect } from 'chai';
import { UploadGate, type GateConfig } from '../../../src/schedule/upload-gate.js';
import { memoryPassLog } from '../../../src/schedule/passes.js';

const at = (h: number, m = 0, day = 10): number => new Date(2026, 10, day, h, m, 0, 0).getTime();
const hm = (h: number, m = 0): number => h * 60 + m;

function config(over: Partial<GateConfig> = {}): GateConfig {
  return {
    operationalHours: { enabled: false, start: hm(9), end: hm(17) },
    schedule: { mode: 'interval', intervalMinutes: 120 },
    uploadOnStart: true,
    batchUpload: { enabled: true },
    ...over,
  };
}

describe('schedule/upload-gate', () => {
  it('allows uploads at any time when operational hours are disabled', () => {
    const g = new UploadGate(config(), at(3));
    g.queueDrained();
    expect(g.allows(at(3, 1))).to.deep.equal({ allowed: true, queuedSince: null });
  });

  it('holds uploads outside operational hours and releases them inside', () => {
    const g2 = new UploadGate(config({ operationalHours: { enabled: true, start: hm(22), end: hm(6) }, uploadOnStart: false, schedule: { mode: 'daily', dailyTime: hm(4) } }), at(12));
    expect(g2.allows(at(21, 59)).allowed).to.equal(false);
    expect(g2.allows(at(22, 0)).allowed).to.equal(true);
    expect(g2.nextChangeAt(at(12))).to.equal(at(22));
  });

  it('opens a drain at start-up when upload_on_start is true, until the queue is empty', () => {
    const g = new UploadGate(config({ operationalHours: { enabled: true, start: hm(9), end: hm(10) } }), at(12));
    expect(g.allows(at(12)).allowed).to.equal(true);
    g.queueDrained();
    expect(g.allows(at(12)).allowed).to.equal(false);
  });

  it('keeps the start-up drain open until the start-up scan is done', () => {
    const g = new UploadGate(config({ operationalHours: { enabled: true, start: hm(9), end: hm(10) } }), at(12), { startupPending: true });
    g.queueDrained(); // the scan has not queued everything yet
    expect(g.allows(at(12, 1))).to.deep.equal({ allowed: true, queuedSince: null });
    g.startupComplete(at(12, 2));
    g.queueDrained();
    expect(g.allows(at(12, 3)).allowed).to.equal(false);
  });

  it('holds what the start-up scan finds too when upload_on_start is false, until the first pass', () => {
    const g = new UploadGate(config({ uploadOnStart: false, schedule: { mode: 'interval', intervalMinutes: 60 } }), at(12), { startupPending: true });
    expect(g.allows(at(12, 1))).to.deep.equal({ allowed: true, queuedSince: Number.MAX_SAFE_INTEGER });
    g.startupComplete(at(12, 5));
    // Rows stamped at(12, 5) were queued by the scan, in the tick it ended: still backlog.
    expect(g.allows(at(12, 10))).to.deep.equal({ allowed: true, queuedSince: at(12, 5) + 1 });
    expect(g.allows(at(13, 0))).to.deep.equal({ allowed: true, queuedSince: null });
  });

  it('with batch_upload disabled sends only files that became ready inside the current window', () => {
    const g = new UploadGate(
      config({ uploadOnStart: false, batchUpload: { enabled: false }, operationalHours: { enabled: true, start: hm(22), end: hm(6) }, schedule: { mode: 'daily', dailyTime: hm(12) } }),
      at(20),
    );
    expect(g.allows(at(21)).allowed).to.equal(false);
    expect(g.allows(at(2, 0, 11))).to.deep.equal({ allowed: true, queuedSince: at(22) });
    const always = new UploadGate(config({ batchUpload: { enabled: false } }), at(8));
    always.queueDrained();
    expect(always.allows(at(9))).to.deep.equal({ allowed: true, queuedSince: at(8) });
  });

  it('with batch_upload enabled drains the whole eligible queue inside the window', () => {
    const g = new UploadGate(config({ operationalHours: { enabled: true, start: hm(22), end: hm(6) }, schedule: { mode: 'daily', dailyTime: hm(12) } }), at(20));
    g.queueDrained();
    expect(g.allows(at(2, 0, 11))).to.deep.equal({ allowed: true, queuedSince: null });
  });

  it('runs a daily pass at daily_time that ignores operational hours, and remembers it', () => {
    const log = memoryPassLog();
    const g = new UploadGate(
      config({ uploadOnStart: false, operationalHours: { enabled: true, start: hm(9), end: hm(10) }, schedule: { mode: 'daily', dailyTime: hm(2) } }),
      at(12),
      { passLog: log },
    );
    expect(g.allows(at(23)).allowed).to.equal(false);
    expect(g.nextChangeAt(at(23))).to.equal(at(2, 0, 11));
    expect(g.allows(at(2, 0, 11)).allowed).to.equal(true);
    expect(g.isDraining).to.equal(true);
    expect(log.lastPassAt()).to.equal(at(2, 0, 11));
    g.queueDrained();
    expect(g.allows(at(2, 1, 11)).allowed).to.equal(false);
  });

  it('catches up a daily pass missed while off once start-up is done, and not again that day', () => {
    const log = memoryPassLog();
    log.recordPass(at(2, 0, 9));
    const cfg = config({ uploadOnStart: false, operationalHours: { enabled: true, start: hm(9), end: hm(10) }, schedule: { mode: 'daily', dailyTime: hm(2) } });
    const g = new UploadGate(cfg, at(12), { passLog: log, startupPending: true });
    expect(g.allows(at(12)).allowed).to.equal(false);
    expect(g.nextChangeAt(at(12))).to.equal(at(9, 0, 11));
    g.startupComplete(at(12, 1));
    expect(g.allows(at(12, 1)).allowed).to.equal(true);
    expect(log.lastPassAt()).to.equal(at(12, 1));
    g.queueDrained();
    expect(g.nextChangeAt(at(12, 2))).to.equal(at(9, 0, 11) < at(2, 0, 11) ? at(9, 0, 11) : at(2, 0, 11));
    // A restart later that day does not run the day's pass again.
    const again = new UploadGate(cfg, at(18), { passLog: log });
    expect(again.allows(at(18)).allowed).to.equal(false);
  });

  it('opens a pass on demand (upload-now)', () => {
    const g = new UploadGate(config({ uploadOnStart: false, operationalHours: { enabled: true, start: hm(9), end: hm(10) } }), at(12));
    expect(g.allows(at(12)).allowed).to.equal(false);
    g.triggerPass();
    expect(g.allows(at(12))).to.deep.equal({ allowed: true, queuedSince: null });
  });

  it('applies new operational hours and a new schedule on reload, without ending a pass under way', () => {
    const g = new UploadGate(config({ uploadOnStart: false, schedule: { mode: 'daily', dailyTime: hm(2) } }), at(12));
    g.queueDrained();
    expect(g.allows(at(12, 5)).allowed).to.equal(true);
    g.apply(config({ uploadOnStart: false, operationalHours: { enabled: true, start: hm(20), end: hm(21) }, schedule: { mode: 'daily', dailyTime: hm(2) } }), at(12, 5));
    expect(g.allows(at(12, 6)).allowed).to.equal(false);
    expect(g.nextChangeAt(at(12, 6))).to.equal(at(20));
    g.apply(config({ uploadOnStart: false, operationalHours: { enabled: true, start: hm(20), end: hm(21) }, schedule: { mode: 'daily', dailyTime: hm(13) } }), at(12, 6));
    expect(g.nextChangeAt(at(12, 6))).to.equal(at(13));
    g.triggerPass();
    g.apply(config({ operationalHours: { enabled: true, start: hm(22), end: hm(23) } }), at(12, 7));
    expect(g.allows(at(12, 8)).allowed).to.equal(true);
  });
});
