import { expect } from 'chai';
import { formatTimeOfDay, parseTimeOfDay } from '../../../src/config/times.js';

describe('config/times', () => {
  it('parses HH:MM and H:MM into minutes since midnight', () => {
    expect(parseTimeOfDay('00:00')).to.equal(0);
    expect(parseTimeOfDay('9:05')).to.equal(545);
    expect(parseTimeOfDay('09:05')).to.equal(545);
    expect(parseTimeOfDay('23:59')).to.equal(1439);
  });

  it('rejects hours above 23, minutes above 59 and single-digit minutes', () => {
    for (const bad of ['24:00', '12:60', '9:5', '123:00', '-1:00', '12:5a']) {
      expect(parseTimeOfDay(bad), bad).to.equal(null);
    }
  });

  it('rejects leading and trailing spaces and anything around the time', () => {
    for (const bad of [' 09:00', '09:00 ', '09:00\n', 'at 09:00', '09:00:00', '0900', '']) {
      expect(parseTimeOfDay(bad), JSON.stringify(bad)).to.equal(null);
    }
  });

  it('formats minutes as zero-padded HH:MM', () => {
    expect(formatTimeOfDay(0)).to.equal('00:00');
    expect(formatTimeOfDay(545)).to.equal('09:05');
    expect(formatTimeOfDay(1439)).to.equal('23:59');
  });
});
