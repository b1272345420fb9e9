/**
 * `upload.bandwidth.schedule`: rclone's `--bwlimit` timetable, one entry per string
 * (`"08:00,512k"`, `"Mon-08:00,4M"`, `"23:00,off"`). Each entry's rate holds from its time until
 * the next entry's; before the first entry of the day (or week) the last one still holds, as in
 * rclone. Entries with a weekday apply on that day only; entries without one every day (mixing
 * both is refused, as rclone does). Local time, like the other schedules here.
 *
 * Pure: `rateAt(now)` and `nextChangeAt(now)`; the link controller applies them live.
 */
import { parseRate } from './rate.js';
import { parseTimeOfDay } from '../config/times.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DAY_MINUTES = 24 * 60;
const WEEK_MINUTES = 7 * DAY_MINUTES;

export interface TimetableEntry {
  /** Minutes since local midnight; with a weekday, minutes since Sunday 00:00. */
  readonly minute: number;
  readonly weekly: boolean;
  /** Bytes per second, null = unlimited. */
  readonly bytesPerSecond: number | null;
  /** As written, for status and logs. */
  readonly text: string;
}

/** Parses one entry, or returns the rule it breaks. */
export function parseTimetableEntry(text: string): TimetableEntry | string {
  const comma = text.indexOf(',');
  if (comma < 0) return 'is not "HH:MM,RATE" (e.g. "08:00,512k" or "Mon-08:00,4M")';
  let when = text.slice(0, comma).trim();
  const rate = parseRate(text.slice(comma + 1));
  if (!rate.ok) return `rate ${rate.rule}`;
  let dayOffset: number | null = null;
  const dash = when.indexOf('-');
  if (dash >= 0) {
    const day = DAYS.indexOf(when.slice(0, dash).trim().slice(0, 3).toLowerCase() as (typeof DAYS)[number]);
    if (day < 0) return 'has an unknown weekday (write Mon, Tue, Wed, Thu, Fri, Sat or Sun)';
    dayOffset = day * DAY_MINUTES;
    when = when.slice(dash + 1).trim();
  }
  const minute = parseTimeOfDay(when);
  if (minute === null) return 'has no valid time of day HH:MM before the comma';
  return { minute: (dayOffset ?? 0) + minute, weekly: dayOffset !== null, bytesPerSecond: rate.bytesPerSecond, text };
}

/** Rules across entries: all daily or all weekly, no two at the same time. */
export function checkTimetable(entries: readonly TimetableEntry[]): string | null {
  if (entries.some((e) => e.weekly) && entries.some((e) => !e.weekly)) {
    return 'mixes entries with and without a weekday; give every entry a weekday or none';
  }
  const times = new Set(entries.map((e) => e.minute));
  return times.size === entries.length ? null : 'has two entries for the same time';
}

export class Timetable {
  private readonly entries: readonly TimetableEntry[];
  private readonly period: number;

  constructor(entries: readonly TimetableEntry[]) {
    this.entries = [...entries].sort((a, b) => a.minute - b.minute);
    this.period = this.entries[0]?.weekly === true ? WEEK_MINUTES : DAY_MINUTES;
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** The entry in force at `now` (epoch ms), or null for an empty timetable. */
  entryAt(now: number): TimetableEntry | null {
    const m = this.position(now);
    let current = this.entries[this.entries.length - 1] ?? null; // wraps around from the last entry
    for (const e of this.entries) if (e.minute <= m) current = e;
    return current;
  }

  /** Epoch ms of the next boundary after `now`, or Infinity for an empty timetable. */
  nextChangeAt(now: number): number {
    if (this.entries.length === 0) return Infinity;
    const m = this.position(now);
    const next = this.entries.find((e) => e.minute > m) ?? this.entries[0]!;
    const ahead = next.minute > m ? next.minute - m : this.period - m + next.minute;
    // Across a DST change this lands up to an hour off; the caller re-reads the rate then and
    // asks again, so the right rate is in force from the next look on.
    const d = new Date(now);
    d.setSeconds(0, 0);
    return d.getTime() + Math.round(ahead) * 60_000;
  }

  private position(now: number): number {
    const d = new Date(now);
    const minuteOfDay = d.getHours() * 60 + d.getMinutes();
    return this.period === WEEK_MINUTES ? d.getDay() * DAY_MINUTES + minuteOfDay : minuteOfDay;
  }
}
