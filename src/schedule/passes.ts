/**
 * When the next scheduled upload pass is due, from the schedule and the time of the last pass,
 * which is kept in the state store so it survives restarts and power-off:
 *
 *  - daily: at most one pass per local calendar day. A day's pass missed while the vehicle was
 *    off runs at the next start (once the start-up scan is done); that catch-up counts as the
 *    day's pass, so a start at 01:00 that catches up does not run again at a 03:00 daily_time,
 *    and a restart after the day's pass does not run it again.
 *  - interval: `interval` after the last pass, or right away if that moment passed while the
 *    daemon was not running (so frequent restarts cannot starve the schedule).
 *
 * Pure functions plus the small store adapter; the gate (upload-gate.ts) decides what a pass
 * releases.
 */
import type { Schedule } from '../config/types.js';
import { nextLocalMinute, prevLocalMinute, sameLocalDay } from './local-time.js';

const MINUTE = 60_000;

/** Where the time of the last scheduled pass is kept. */
export interface PassLog {
  lastPassAt(): number | null;
  recordPass(at: number): void;
}

/** Epoch ms of the next pass: `now` or earlier means due now. */
export function nextPassAt(schedule: Schedule, lastPassAt: number | null, now: number): number {
  if (schedule.mode === 'interval') {
    const every = schedule.intervalMinutes * MINUTE;
    return lastPassAt === null ? now + every : Math.max(lastPassAt + every, now);
  }
  const t = schedule.dailyTime;
  if (lastPassAt === null) return nextLocalMinute(now, t);
  const missed = lastPassAt < prevLocalMinute(now, t) && !sameLocalDay(lastPassAt, now);
  if (missed) return now;
  let next = nextLocalMinute(now, t);
  while (sameLocalDay(lastPassAt, next)) next = nextLocalMinute(next, t);
  return next;
}

/** Key of the state store's meta table holding the last pass (epoch ms, decimal). */
export const LAST_PASS_KEY = 'schedule.last_pass_at';

/** A PassLog over the state store's meta table (or anything with the same get/set). */
export function metaPassLog(meta: { get(key: string): string | null; set(key: string, value: string): void }): PassLog {
  return {
    lastPassAt: () => {
      const raw = meta.get(LAST_PASS_KEY);
      const v = raw === null ? NaN : Number(raw);
      return Number.isFinite(v) ? v : null;
    },
    recordPass: (at) => meta.set(LAST_PASS_KEY, String(Math.round(at))),
  };
}

/** A PassLog that forgets at exit (tests, and a daemon with no store yet). */
export function memoryPassLog(): PassLog {
  let last: number | null = null;
  return { lastPassAt: () => last, recordPass: (at) => void (last = at) };
}
