import { expect } from 'chai';
import { parseRate } from '../../../src/link/rate.js';
import { Timetable, checkTimetable, parseTimetableEntry, type TimetableEntry } from '../../../src/link/timetable.js';

function entries(...texts: string[]): TimetableEntry[] {
  return texts.map((t) => {
    const e = parseTimetableEntry(t);
    if (typeof e === 'string') throw new Error(e);
    return e;
  });
}

/** Local time on Monday 2026-12-07 (a Monday) at hh:mm. */
const at = (hh: number, mm = 0, day = 7) => new Date(2026, 11, day, hh, mm).getTime();

describe('link/rate (rclone --bwlimit units)', () => {
  it('reads a bare number as KiB/s and the suffixes as binary byte units', () => {
    expect(parseRate('512')).to.deep.equal({ ok: true, bytesPerSecond: 512 * 1024 });
    expect(parseRate('512k')).to.deep.equal({ ok: true, bytesPerSecond: 512 * 1024 });
    expect(parseRate('4M')).to.deep.equal({ ok: true, bytesPerSecond: 4 * 1024 ** 2 });
    expect(parseRate('1.5m')).to.deep.equal({ ok: true, bytesPerSecond: 1.5 * 1024 ** 2 });
    expect(parseRate('100B')).to.deep.equal({ ok: true, bytesPerSecond: 100 });
    expect(parseRate('1G')).to.deep.equal({ ok: true, bytesPerSecond: 1024 ** 3 });
  });

  it('reads off as unlimited and uses the upload side of an UP:DOWN pair', () => {
    expect(parseRate('off')).to.deep.equal({ ok: true, bytesPerSecond: null });
    expect(parseRate('10M:1M')).to.deep.equal({ ok: true, bytesPerSecond: 10 * 1024 ** 2 });
  });

  it('rejects what is not a bandwidth, and zero', () => {
    for (const bad of ['fast', '', '4X', '-1M', '1.M']) expect(parseRate(bad).ok, bad).to.equal(false);
    expect(parseRate('0')).to.deep.include({ ok: false });
  });
});

describe('link/timetable', () => {
  const day = new Timetable(entries('08:00,512k', '18:00,4M', '23:00,off'));

  it('applies each entry from its time until the next', () => {
    expect(day.entryAt(at(8))?.bytesPerSecond).to.equal(512 * 1024);
    expect(day.entryAt(at(17, 59))?.bytesPerSecond).to.equal(512 * 1024);
    expect(day.entryAt(at(18))?.bytesPerSecond).to.equal(4 * 1024 ** 2);
    expect(day.entryAt(at(23, 30))?.bytesPerSecond).to.equal(null);
  });

  it('keeps the last entry in force before the first one of the day (wraps around)', () => {
    expect(day.entryAt(at(3))?.text).to.equal('23:00,off');
  });

  it('names the next boundary, wrapping to tomorrow after the last one', () => {
    expect(day.nextChangeAt(at(7, 30))).to.equal(at(8));
    expect(day.nextChangeAt(at(8))).to.equal(at(18));
    expect(day.nextChangeAt(at(23, 10))).to.equal(at(8, 0, 8));
  });

  it('follows weekday entries over the week', () => {
    const week = new Timetable(entries('Mon-08:00,1M', 'Sat-00:00,off'));
    expect(week.entryAt(at(7, 0, 7))?.text).to.equal('Sat-00:00,off'); // Monday before 08:00: Saturday's still holds
    expect(week.entryAt(at(9, 0, 9))?.text).to.equal('Mon-08:00,1M'); // Wednesday
    expect(week.nextChangeAt(at(9, 0, 9))).to.equal(at(0, 0, 12)); // Saturday 00:00
  });

  it('is empty without entries: no rate, no boundary', () => {
    const none = new Timetable([]);
    expect(none.empty).to.equal(true);
    expect(none.entryAt(at(8))).to.equal(null);
    expect(none.nextChangeAt(at(8))).to.equal(Infinity);
  });

  it('says what is wrong with a malformed entry', () => {
    expect(parseTimetableEntry('08:00')).to.contain('HH:MM,RATE');
    expect(parseTimetableEntry('25:00,1M')).to.contain('time of day');
    expect(parseTimetableEntry('Xyz-08:00,1M')).to.contain('weekday');
    expect(parseTimetableEntry('08:00,fast')).to.contain('rate');
  });

  it('refuses mixing daily and weekday entries, and two entries at one time', () => {
    expect(checkTimetable(entries('08:00,1M', 'Mon-09:00,2M'))).to.contain('mixes');
    expect(checkTimetable(entries('08:00,1M', '08:00,2M'))).to.contain('same time');
    expect(checkTimetable(entries('08:00,1M', '09:00,2M'))).to.equal(null);
  });
});
