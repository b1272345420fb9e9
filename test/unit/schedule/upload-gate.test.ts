import { expect } from 'chai';
import { UploadGate, inWindow, nextLocalMinute, minuteOfDay } from '../../../src/schedule/upload-gate.js';
import type { UploadConfig } from '../../../src/config/types.js';

type GateConfig = Pick<UploadConfig, 'operationalHours' | 'schedule' | 'uploadOnStart'>;
const at = (h: number, m = 0, day = 10): number => new Date(2026, 10, day, h, m, 0, 0).getTime();
const hm = (h: number, m = 0): number => h * 60 + m;

function config(over: Partial<GateConfig> = {}): GateConfig {
  return {
    operationalHours: { enabled: false, start: hm(9), end: hm(17) },
    schedule: { mode: 'interval', intervalMinutes: 120 },
    uploadOnStart: true,
    ...over,
  };
}

describe('schedule/upload-gate', () => {
  it('treats end < start as an overnight window', () => {
    expect(inWindow(hm(23), hm(22), hm(6))).to.equal(true);
    expect(inWindow(hm(5, 59), hm(22), hm(6))).to.equal(true);
    expect(inWindow(hm(6), hm(22), hm(6))).to.equal(false);
    expect(inWindow(hm(12), hm(22), hm(6))).to.equal(false);
    expect(inWindow(hm(12), hm(9), hm(17))).to.equal(true);
    expect(inWindow(hm(17), hm(9), hm(17))).to.equal(false);
  });

  it('finds the next local occurrence of a time of day', () => {
    expect(nextLocalMinute(at(1), hm(2))).to.equal(at(2));
    expect(nextLocalMinute(at(2), hm(2))).to.equal(at(2, 0, 11));
    expect(minuteOfDay(at(13, 45))).to.equal(hm(13, 45));
  });

  it('allows uploads at any time when operational hours are disabled', () => {
    const g = new UploadGate(config(), at(3));
    g.queueDrained();
    expect(g.allows(at(3, 1))).to.deep.equal({ allowed: true, backlogAllowed: true });
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

  it('holds the start-up backlog until the first scheduled pass when upload_on_start is false', () => {
    const g = new UploadGate(config({ uploadOnStart: false, schedule: { mode: 'interval', intervalMinutes: 60 } }), at(12));
    expect(g.allows(at(12, 10))).to.deep.equal({ allowed: true, backlogAllowed: false });
    expect(g.allows(at(13, 0))).to.deep.equal({ allowed: true, backlogAllowed: true });
  });

  it('runs a daily pass at daily_time that ignores operational hours', () => {
    const g = new UploadGate(
      config({ uploadOnStart: false, operationalHours: { enabled: true, start: hm(9), end: hm(10) }, schedule: { mode: 'daily', dailyTime: hm(2) } }),
      at(12),
    );
    expect(g.allows(at(23)).allowed).to.equal(false);
    expect(g.nextChangeAt(at(23))).to.equal(at(2, 0, 11));
    expect(g.allows(at(2, 0, 11)).allowed).to.equal(true);
    expect(g.isDraining).to.equal(true);
    g.queueDrained();
    expect(g.allows(at(2, 1, 11)).allowed).to.equal(false);
  });

  it('opens a pass on demand (upload-now)', () => {
    const g = new UploadGate(config({ uploadOnStart: false, operationalHours: { enabled: true, start: hm(9), end: hm(10) } }), at(12));
    expect(g.allows(at(12)).allowed).to.equal(false);
    g.triggerPass();
    expect(g.allows(at(12))).to.deep.equal({ allowed: true, backlogAllowed: true });
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
