/**
 * When uploads may run: the reference's operational hours, upload schedule and upload_on_start,
 * with its defects fixed (overnight windows work; upload_on_start is honoured in every mode;
 * scheduled passes are timer-driven and drain the whole backlog rather than 50 files).
 *
 * Model: the dispatcher asks `allows(now)` before pulling work.
 *  - Live mode: when operational hours are disabled, or now is inside the window (end < start =
 *    overnight), queued files upload as soon as a slot frees.
 *  - A scheduled pass (interval, or daily at daily_time) opens a drain that lasts until the
 *    dispatcher reports the queue empty, regardless of operational hours (as in the reference).
 *  - upload_on_start: true starts a drain at start-up; false holds the backlog found at start-up
 *    (files queued before this process started) until the first scheduled pass.
 * `nextChangeAt(now)` tells the dispatcher when to look again while nothing is allowed.
 */
import { isDeepStrictEqual } from 'node:util';
import type { UploadConfig, MinuteOfDay } from '../config/types.js';

export interface GateDecision {
  /** Whether anything may be dispatched now. */
  readonly allowed: boolean;
  /** Whether files queued before `startedAt` may go too (false only while upload_on_start holds them). */
  readonly backlogAllowed: boolean;
}

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

export class UploadGate {
  private draining = false;
  private nextPassAt: number;
  private backlogReleased: boolean;

  constructor(
    private upload: Pick<UploadConfig, 'operationalHours' | 'schedule' | 'uploadOnStart'>,
    private readonly startedAt: number,
  ) {
    this.backlogReleased = upload.uploadOnStart;
    this.draining = upload.uploadOnStart;
    this.nextPassAt = this.passAfter(startedAt);
  }

  allows(now: number): GateDecision {
    this.tick(now);
    const live = this.inOperationalHours(now);
    return { allowed: this.draining || live, backlogAllowed: this.backlogReleased };
  }

  /**
   * A reload: new operational hours apply at once (a closed window stops new uploads; in-flight
   * ones finish); a new schedule sets the next pass from `now`. A pass under way goes on.
   */
  apply(upload: Pick<UploadConfig, 'operationalHours' | 'schedule' | 'uploadOnStart'>, now: number): void {
    const scheduleChanged = !isDeepStrictEqual(upload.schedule, this.upload.schedule);
    this.upload = upload;
    if (scheduleChanged) this.nextPassAt = this.passAfter(now);
  }

  /** The dispatcher found nothing eligible to send: the current pass, if any, is over. */
  queueDrained(): void {
    this.draining = false;
  }

  /** Start a pass now (tvm-upload upload-now, or tests). */
  triggerPass(): void {
    this.draining = true;
    this.backlogReleased = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Epoch ms at which `allows()` may change its answer. */
  nextChangeAt(now: number): number {
    let next = this.nextPassAt;
    const oh = this.upload.operationalHours;
    if (oh.enabled && oh.start !== oh.end) {
      next = Math.min(next, nextLocalMinute(now, oh.start), nextLocalMinute(now, oh.end));
    }
    return next;
  }

  private inOperationalHours(now: number): boolean {
    const oh = this.upload.operationalHours;
    return !oh.enabled || inWindow(minuteOfDay(now), oh.start, oh.end);
  }

  private tick(now: number): void {
    if (now >= this.nextPassAt) {
      this.triggerPass();
      this.nextPassAt = this.passAfter(now);
    }
  }

  private passAfter(t: number): number {
    const s = this.upload.schedule;
    return s.mode === 'interval' ? t + s.intervalMinutes * MINUTE : nextLocalMinute(t, s.dailyTime);
  }
}
