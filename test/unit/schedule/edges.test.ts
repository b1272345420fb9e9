// The edges of the schedule arithmetic that the other schedule tests leave open, found by
// mutation testing (docs/TESTING.md): window bounds, a daily time just after midnight on the day
// clocks go back, the all-day window, hours that are configured but disabled, and the name of
// the stored last pass.
import { expect } from 'chai';
import { inWindow, nextLocalMinute } from '../../../src/schedule/local-time.js';
import { LAST_PASS_KEY, metaPassLog } from '../../../src/schedule/passes.js';
import { UploadGate, type GateConfig } from '../../../src/schedule/upload-gate.js';

const at = (h: number, m = 0, day = 10): number => new Date(2026, 10, day, h, m, 0, 0).getTime();
const hm = (h: number, m = 0): number => h * 60 + m;

function config(over: Partial<GateConfig> = {}): GateConfig {
  return {
    operationalHours: { enabled: false, start: hm(9), end: hm(17) },
    schedule: { mode: 'daily', dailyTime: hm(23) },
    uploadOnStart: false,
    batchUpload: { enabled: true },
    ...over,
  };
}

describe('schedule edges', () => {
  describe('local time', () => {
    it('counts the first minute of a window in and its last minute out', () => {
      expect(inWindow(hm(9), hm(9), hm(17))).to.equal(true);
      expect(inWindow(hm(16, 59), hm(9), hm(17))).to.equal(true);
      expect(inWindow(hm(8, 59), hm(9), hm(17))).to.equal(false);
    });

    it('treats a window that starts where it ends as the whole day', () => {
      for (const m of [hm(0), hm(8, 59), hm(9), hm(23, 59)]) expect(inWindow(m, hm(9), hm(9)), String(m)).to.equal(true);
    });

    describe('on the day clocks go back (Europe/Berlin, 2026-10-25 03:00 → 02:00)', () => {
      const saved = process.env.TZ;
      before(() => {
        process.env.TZ = 'Europe/Berlin';
      });
      after(() => {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      });

      it('finds tomorrow\'s 00:30 from the afternoon of the 25-hour day', () => {
        // 24 h after today's 00:30 is still today (23:30): the step must go past the extra hour.
        const afternoon = Date.UTC(2026, 9, 25, 11, 0); // 12:00 CET
        expect(new Date(nextLocalMinute(afternoon, hm(0, 30))).toISOString()).to.equal('2026-10-25T23:30:00.000Z'); // 26th, 00:30 CET
      });

      it('finds the next 02:30 on both sides of the repeated hour', () => {
        const before = Date.UTC(2026, 9, 24, 22, 0); // 25th 00:00 CEST
        expect(nextLocalMinute(before, hm(2, 30)) - before).to.be.within(2 * 3600_000, 4 * 3600_000);
        const next = nextLocalMinute(Date.UTC(2026, 9, 25, 11, 0), hm(2, 30));
        expect(new Date(next).toISOString()).to.equal('2026-10-26T01:30:00.000Z'); // 26th, 02:30 CET
      });
    });
  });

  describe('the pass log', () => {
    it('keeps the last pass under the key earlier versions wrote, so an upgrade remembers it', () => {
      const rows = new Map<string, string>([['schedule.last_pass_at', String(at(3))]]);
      const log = metaPassLog({ get: (k) => rows.get(k) ?? null, set: (k, v) => void rows.set(k, v) });
      expect(LAST_PASS_KEY).to.equal('schedule.last_pass_at');
      expect(log.lastPassAt()).to.equal(at(3));
      log.recordPass(at(4));
      expect([...rows.keys()]).to.deep.equal(['schedule.last_pass_at']);
    });
  });

  describe('the upload gate', () => {
    it('releases the held backlog for live uploads once a pass has run', () => {
      const g = new UploadGate(config(), at(12));
      // Held: everything queued up to and including the start-up millisecond.
      expect(g.allows(at(12, 1)).queuedSince).to.equal(at(12) + 1);
      g.triggerPass();
      g.queueDrained();
      expect(g.allows(at(12, 5))).to.deep.equal({ allowed: true, queuedSince: null });
    });

    it('wakes only for the next pass when operational hours are configured but disabled', () => {
      const g = new UploadGate(config(), at(3));
      expect(g.nextChangeAt(at(3))).to.equal(at(23));
    });

    it('wakes only for the next pass when the operational window is the whole day', () => {
      const g = new UploadGate(config({ operationalHours: { enabled: true, start: hm(9), end: hm(9) } }), at(3));
      expect(g.nextChangeAt(at(3))).to.equal(at(23));
    });

    it('with batch_upload disabled and an all-day window sends what became ready since this start', () => {
      const g = new UploadGate(config({ uploadOnStart: true, batchUpload: { enabled: false }, operationalHours: { enabled: true, start: hm(9), end: hm(9) } }), at(3));
      g.queueDrained();
      expect(g.allows(at(12))).to.deep.equal({ allowed: true, queuedSince: at(3) });
    });
  });
});
