/**
 * Local wall-clock arithmetic for schedules and operational hours: minute of day, windows that
 * may cross midnight, the next and previous occurrence of a time of day (DST-safe through Date,
 * never by adding 24 h to a timestamp), and whether two instants fall on the same local day.
 */
import type { MinuteOfDay } from '../config/types.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export function minuteOfDay(epochMs: number): MinuteOfDay {
  const d = new Date(epochMs);
  return d.getHours() * 60 + d.getMinutes();
}

/** Whether `m` lies in [start, end) — with end < start meaning a window across midnight. */
export function inWindow(m: MinuteOfDay, start: MinuteOfDay, end: MinuteOfDay): boolean {
  if (start === end) return true;
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/** The next local time strictly after `from` whose minute-of-day is `m` (DST-safe via Date). */
export function nextLocalMinute(from: number, m: MinuteOfDay): number {
  const d = new Date(from);
  d.setSeconds(0, 0);
  d.setHours(Math.floor(m / 60), m % 60, 0, 0);
  let t = d.getTime();
  while (t <= from) {
    const n = new Date(t + DAY + 2 * 60 * MINUTE); // past any DST shift, then snap back to m
    n.setHours(Math.floor(m / 60), m % 60, 0, 0);
    t = n.getTime();
  }
  return t;
}

/** The latest local time at or before `from` whose minute-of-day is `m`. */
export function prevLocalMinute(from: number, m: MinuteOfDay): number {
  const d = new Date(from);
  d.setHours(Math.floor(m / 60), m % 60, 0, 0);
  if (d.getTime() > from) {
    d.setDate(d.getDate() - 1);
    d.setHours(Math.floor(m / 60), m % 60, 0, 0);
  }
  return d.getTime();
}

export function sameLocalDay(a: number, b: number): boolean {
  return new Date(a).toDateString() === new Date(b).toDateString();
}
