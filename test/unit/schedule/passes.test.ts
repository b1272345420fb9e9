import { expect } from 'chai';
import { metaPassLog, nextPassAt, LAST_PASS_KEY } from '../../../src/schedule/passes.js';
import { inWindow, minuteOfDay, nextLocalMinute, prevLocalMinute, sameLocalDay } from '../../../src/schedule/local-time.js';

const at = (h: number, m = 0, day = 10): number => new Date(2026, 10, day, h, m, 0, 0).getTime();
const hm = (h: number, m = 0): number => h * 60 + m;
const daily = (h: number) => ({ mode: 'daily' as const, dailyTime: hm(h) });

describe('schedule/passes', () => {
  it('treats end < start as an overnight window', () => {
    expect(inWindow(hm(23), hm(22), hm(6))).to.equal(true);
    expect(inWindow(hm(5, 59), hm(22), hm(6))).to.equal(true);
    expect(inWindow(hm(6), hm(22), hm(6))).to.equal(false);
    expect(inWindow(hm(12), hm(22), hm(6))).to.equal(false);
    expect(inWindow(hm(12), hm(9), hm(17))).to.equal(true);
    expect(inWindow(hm(17), hm(9), hm(17))).to.equal(false);
  });

  it('finds the next and previous local occurrence of a time of day', () => {
    expect(nextLocalMinute(at(1), hm(2))).to.equal(at(2));
    expect(nextLocalMinute(at(2), hm(2))).to.equal(at(2, 0, 11));
    expect(prevLocalMinute(at(2), hm(2))).to.equal(at(2));
    expect(prevLocalMinute(at(1), hm(2))).to.equal(at(2, 0, 9));
    expect(minuteOfDay(at(13, 45))).to.equal(hm(13, 45));
    expect(sameLocalDay(at(0, 1), at(23, 59))).to.equal(true);
    expect(sameLocalDay(at(23, 59), at(0, 1, 11))).to.equal(false);
  });

  it('daily: first start waits for daily_time; a pass already run today is not run again', () => {
    expect(nextPassAt(daily(3), null, at(12))).to.equal(at(3, 0, 11));
    expect(nextPassAt(daily(3), at(3), at(12))).to.equal(at(3, 0, 11));
    expect(nextPassAt(daily(3), at(3), at(3))).to.equal(at(3, 0, 11));
  });

  it('daily: a pass missed while off is due at once, and counts as that day\'s pass', () => {
    expect(nextPassAt(daily(3), at(3, 0, 8), at(12))).to.equal(at(12));
    expect(nextPassAt(daily(3), at(3, 0, 8), at(1))).to.equal(at(1)); // yesterday's 03:00 missed
    expect(nextPassAt(daily(3), at(3, 0, 9), at(1))).to.equal(at(3)); // yesterday's ran: today's at 03:00
    expect(nextPassAt(daily(3), at(1), at(1, 30))).to.equal(at(3, 0, 11)); // caught up at 01:00: not again at 03:00
    expect(nextPassAt(daily(3), at(1), at(4))).to.equal(at(3, 0, 11)); // nor after a restart at 04:00
  });

  it('interval: due an interval after the last pass, or now when that passed while off', () => {
    const every2h = { mode: 'interval' as const, intervalMinutes: 120 };
    expect(nextPassAt(every2h, null, at(12))).to.equal(at(14));
    expect(nextPassAt(every2h, at(11), at(12))).to.equal(at(13));
    expect(nextPassAt(every2h, at(8), at(12))).to.equal(at(12));
  });

  it('keeps the last pass in the meta table, ignoring a value it cannot read', () => {
    const m = new Map<string, string>();
    const log = metaPassLog({ get: (k) => m.get(k) ?? null, set: (k, v) => void m.set(k, v) });
    expect(log.lastPassAt()).to.equal(null);
    log.recordPass(1234.6);
    expect(m.get(LAST_PASS_KEY)).to.equal('1235');
    expect(log.lastPassAt()).to.equal(1235);
    m.set(LAST_PASS_KEY, 'garbage');
    expect(log.lastPassAt()).to.equal(null);
  });
});
