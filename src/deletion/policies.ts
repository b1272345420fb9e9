/**
 * The deletion policies as pure decisions over numbers: when a file's keep period is over, when
 * the daily age-based run is due, and how much pressure a filesystem is under. No I/O and no
 * clock of their own (callers pass `now`), so every transition is testable in virtual time.
 * Which files exist and whether they may go is the planner's and the safety layers' business.
 */
import type { DeletionConfig, DiskConfig, MinuteOfDay } from '../config/types.js';
import type { DiskUsage } from '../disk/usage.js';

export const DAY_MS = 24 * 3_600_000;
const GIB = 1024 ** 3;

export type PolicyName = 'after_upload' | 'age_based' | 'emergency';

/** Uploaded rows with uploaded_at at or before this may go under after_upload. */
export function afterUploadCutoff(cfg: DeletionConfig['afterUpload'], now: number): number {
  return now - cfg.keepDays * DAY_MS;
}

/** Files whose mtime is before this are old enough for age_based. */
export function ageCutoff(cfg: DeletionConfig['ageBased'], now: number): number {
  return now - cfg.maxAgeDays * DAY_MS;
}

/** The latest scheduled instant at or before `now` (local time; setDate/setHours keep DST right). */
export function lastSlotAt(schedule: MinuteOfDay, now: number): number {
  const d = new Date(now);
  d.setHours(Math.floor(schedule / 60), schedule % 60, 0, 0);
  if (d.getTime() <= now) return d.getTime();
  const y = new Date(now);
  y.setDate(y.getDate() - 1);
  y.setHours(Math.floor(schedule / 60), schedule % 60, 0, 0);
  return y.getTime();
}

function localDay(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

/**
 * Whether the daily age-based run is due: a scheduled time has passed since the last run (so a
 * run missed while the vehicle was off happens at the next start), and it has not run yet on
 * this calendar day (so a catch-up run at 01:00 is not followed by another at 02:00).
 */
export function ageRunDue(schedule: MinuteOfDay, lastRunAt: number | null, now: number): boolean {
  if (lastRunAt === null) return true;
  if (lastRunAt > now) return localDay(lastRunAt) !== localDay(now); // clock went back: once per day still
  return lastSlotAt(schedule, now) > lastRunAt && localDay(lastRunAt) !== localDay(now);
}

export type Pressure = 'normal' | 'warning' | 'critical';

/** The usage figures a pressure decision needs (a DiskUsage, or one predicted after deletions). */
export type UsageFigures = Pick<DiskUsage, 'usedBytes' | 'availableBytes' | 'usedPercent'>;

/**
 * warning: usage at or above warning_threshold, or less than reserved_gb available.
 * critical: usage at or above critical_threshold (then also deleting files not uploaded yet).
 * Usage is df's Use% (used ÷ (used + available)), so it matches what an operator sees.
 */
export function pressure(u: UsageFigures, disk: DiskConfig): Pressure {
  if (u.usedPercent >= disk.criticalThreshold * 100) return 'critical';
  if (u.usedPercent >= disk.warningThreshold * 100 || u.availableBytes < disk.reservedGb * GIB) return 'warning';
  return 'normal';
}

/** Uploaded files go until this holds: below warning and at least the reserve available. */
export function relievedOfWarning(u: UsageFigures, disk: DiskConfig): boolean {
  return u.usedPercent < disk.warningThreshold * 100 && u.availableBytes >= disk.reservedGb * GIB;
}

/** Files not uploaded go only until this holds: below critical and at least the reserve available. */
export function relievedOfCritical(u: UsageFigures, disk: DiskConfig): boolean {
  return u.usedPercent < disk.criticalThreshold * 100 && u.availableBytes >= disk.reservedGb * GIB;
}

/** Usage after `freed` more bytes are released (what df would show if blocks were freed at once). */
export function afterFreeing(u: UsageFigures, freed: number): UsageFigures {
  const used = Math.max(0, u.usedBytes - freed);
  const avail = u.availableBytes + Math.min(freed, u.usedBytes);
  return { usedBytes: used, availableBytes: avail, usedPercent: used + avail === 0 ? 0 : (used / (used + avail)) * 100 };
}

/** The more relieved of two readings: a measurement that lags (delayed frees) or a prediction that overshoots (hard links). */
export function lessUsed(a: UsageFigures, b: UsageFigures): UsageFigures {
  return a.usedPercent <= b.usedPercent ? a : b;
}
