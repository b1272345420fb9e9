import { expect } from 'chai';
import type { DiskConfig } from '../../../src/config/types.js';
import {
  DAY_MS, afterFreeing, afterUploadCutoff, ageCutoff, ageRunDue, lastSlotAt, lessUsed, pressure, relievedOfCritical, relievedOfWarning,
} from '../../../src/deletion/policies.js';

const GIB = 1024 ** 3;
const DISK: DiskConfig = { reservedGb: 1, warningThreshold: 0.8, criticalThreshold: 0.9, checkIntervalSeconds: 60 };

/** A filesystem of 100 GiB with `usedGib` used (no root-reserved blocks). */
function usage(usedGib: number) {
  const used = usedGib * GIB;
  const avail = 100 * GIB - used;
  return { usedBytes: used, availableBytes: avail, usedPercent: (used / (used + avail)) * 100 };
}

/** Local time today at h:m. */
function at(h: number, m = 0, dayOffset = 0): number {
  const d = new Date(2031, 4, 10 + dayOffset);
  d.setHours(h, m, 0, 0);
  return d.getTime();
}

const TWO_AM = 120;

describe('deletion/policies', () => {
  describe('pressure', () => {
    it('moves normal → warning → critical at the thresholds (df Use%)', () => {
      expect(pressure(usage(79.9), DISK)).to.equal('normal');
      expect(pressure(usage(80), DISK)).to.equal('warning');
      expect(pressure(usage(89.9), DISK)).to.equal('warning');
      expect(pressure(usage(90), DISK)).to.equal('critical');
      expect(pressure(usage(99), DISK)).to.equal('critical');
    });

    it('counts less than reserved_gb available as warning even at low usage', () => {
      const small = { usedBytes: 0.1 * GIB, availableBytes: 0.5 * GIB, usedPercent: 16.7 };
      expect(pressure(small, DISK)).to.equal('warning');
      expect(relievedOfWarning(small, DISK)).to.equal(false);
      expect(relievedOfCritical(small, DISK)).to.equal(false);
    });

    it('is relieved of warning only below warning with the reserve free, of critical below critical with the reserve free', () => {
      expect(relievedOfWarning(usage(79), DISK)).to.equal(true);
      expect(relievedOfWarning(usage(80), DISK)).to.equal(false);
      expect(relievedOfCritical(usage(89), DISK)).to.equal(true);
      expect(relievedOfCritical(usage(90), DISK)).to.equal(false);
    });

    it('predicts usage after freeing bytes, and prefers the more relieved of two readings', () => {
      const after = afterFreeing(usage(90), 10 * GIB);
      expect(after.usedPercent).to.be.closeTo(80, 1e-9);
      expect(after.availableBytes).to.equal(20 * GIB);
      expect(afterFreeing(usage(1), 5 * GIB).usedBytes).to.equal(0);
      expect(afterFreeing({ usedBytes: 0, availableBytes: 0, usedPercent: 0 }, 0).usedPercent).to.equal(0);
      expect(lessUsed(usage(70), usage(75)).usedPercent).to.be.closeTo(70, 1e-9);
      expect(lessUsed(usage(75), usage(70)).usedPercent).to.be.closeTo(70, 1e-9);
    });
  });

  describe('cutoffs', () => {
    it('after_upload counts keep_days from now; age_based max_age_days from now', () => {
      expect(afterUploadCutoff({ enabled: true, keepDays: 0 }, 5 * DAY_MS)).to.equal(5 * DAY_MS);
      expect(afterUploadCutoff({ enabled: true, keepDays: 2 }, 5 * DAY_MS)).to.equal(3 * DAY_MS);
      expect(ageCutoff({ enabled: true, maxAgeDays: 1.5, scheduleTime: 0, includeNotUploaded: false }, 5 * DAY_MS)).to.equal(3.5 * DAY_MS);
    });
  });

  describe('the daily age-based run', () => {
    it('finds the latest scheduled time at or before now', () => {
      expect(lastSlotAt(TWO_AM, at(3))).to.equal(at(2));
      expect(lastSlotAt(TWO_AM, at(2))).to.equal(at(2));
      expect(lastSlotAt(TWO_AM, at(1, 59))).to.equal(at(2, 0, -1));
    });

    it('is due at the first start ever', () => {
      expect(ageRunDue(TWO_AM, null, at(12))).to.equal(true);
    });

    it('is due once the scheduled time passes, and not again that day', () => {
      expect(ageRunDue(TWO_AM, at(2, 0, -1), at(1, 59))).to.equal(false);
      expect(ageRunDue(TWO_AM, at(2, 0, -1), at(2))).to.equal(true);
      expect(ageRunDue(TWO_AM, at(2), at(23, 59))).to.equal(false);
    });

    it('a run missed while the vehicle was off happens at the next start', () => {
      // Last run three days ago; the vehicle is switched on at 09:00.
      expect(ageRunDue(TWO_AM, at(2, 0, -3), at(9))).to.equal(true);
      // Switched on at 01:00, before today's time: yesterday's run was missed, so run now …
      expect(ageRunDue(TWO_AM, at(2, 0, -2), at(1))).to.equal(true);
      // … and not a second time at 02:00 the same day.
      expect(ageRunDue(TWO_AM, at(1), at(2))).to.equal(false);
      expect(ageRunDue(TWO_AM, at(1), at(2, 0, 1))).to.equal(true);
    });

    it('runs at most once per calendar day after the clock went back', () => {
      expect(ageRunDue(TWO_AM, at(10, 0, 1), at(12))).to.equal(true);
      expect(ageRunDue(TWO_AM, at(13), at(12))).to.equal(false);
    });
  });
});
