/**
 * When uploads may run: the reference's operational hours, upload schedule, batch_upload and
 * upload_on_start, with its defects fixed (overnight windows work; upload_on_start is honoured
 * in every mode; scheduled passes are timer-driven, survive restarts, and drain the whole
 * backlog rather than 50 files).
 *
 * Model: the dispatcher asks `allows(now)` before pulling work, and claims only rows queued at
 * or after the decision's `queuedSince` (null = any row).
 *  - A pass (scheduled, upload-now, or upload_on_start's at start-up) drains every queued file,
 *    regardless of operational hours, until the dispatcher reports nothing left to send.
 *  - Live mode, inside operational hours (always, when they are disabled):
 *      batch_upload enabled: the whole eligible queue drains;
 *      disabled: only files that became ready inside the current window (since this start, when
 *      hours are disabled); older ones wait for the next pass.
 *  - upload_on_start false: everything found up to the end of the start-up scan (the backlog
 *    before this start and what the scan finds) is held until the first pass.
 * Passes are due per passes.ts and wait for `startupComplete()`, so a pass drains what the
 * start-up scan found. `nextChangeAt(now)` tells the dispatcher when to look again.
 */
import { isDeepStrictEqual } from 'node:util';
import type { UploadConfig } from '../config/types.js';
import { inWindow, minuteOfDay, nextLocalMinute, prevLocalMinute } from './local-time.js';
import { memoryPassLog, nextPassAt, type PassLog } from './passes.js';

export { inWindow, minuteOfDay, nextLocalMinute } from './local-time.js';

export type GateConfig = Pick<UploadConfig, 'operationalHours' | 'schedule' | 'uploadOnStart' | 'batchUpload'>;

export interface GateDecision {
  /** Whether anything may be dispatched now. */
  readonly allowed: boolean;
  /** Only rows queued at or after this epoch ms may go; null = any. */
  readonly queuedSince: number | null;
}

export interface GateOptions {
  /** Where the last scheduled pass is remembered; default in memory. */
  readonly passLog?: PassLog;
  /**
   * True when the owner will call `startupComplete()` after its start-up scan; until then no
   * scheduled pass starts and upload_on_start: false holds everything. Default false: started.
   */
  readonly startupPending?: boolean;
}

/** Held rows are "queued before the end of start-up", which is not known yet: hold them all. */
const HOLD_ALL = Number.MAX_SAFE_INTEGER;

export class UploadGate {
  private draining: boolean;
  private backlogReleased: boolean;
  private startupDoneAt: number | null;
  private nextPassAt: number;
  private readonly passLog: PassLog;

  constructor(
    private upload: GateConfig,
    private readonly startedAt: number,
    options: GateOptions = {},
  ) {
    this.passLog = options.passLog ?? memoryPassLog();
    this.backlogReleased = upload.uploadOnStart;
    this.draining = upload.uploadOnStart;
    this.startupDoneAt = options.startupPending === true ? null : startedAt;
    this.nextPassAt = nextPassAt(upload.schedule, this.passLog.lastPassAt(), startedAt);
  }

  allows(now: number): GateDecision {
    this.tick(now);
    if (this.draining) return { allowed: true, queuedSince: null };
    if (!this.inOperationalHours(now)) return { allowed: false, queuedSince: null };
    // Backlog is everything queued up to and including the millisecond start-up ended: the scan
    // records its last file and completes within one clock tick, and a row stamped that same
    // millisecond must not count as live.
    const held = this.backlogReleased ? null : this.startupDoneAt === null ? HOLD_ALL : this.startupDoneAt + 1;
    const batch = this.upload.batchUpload.enabled ? null : this.windowStart(now);
    const since = held === null ? batch : batch === null ? held : Math.max(held, batch);
    return { allowed: true, queuedSince: since };
  }

  /** The start-up scan is done: rows queued from now on are not backlog; passes may start. */
  startupComplete(now: number): void {
    this.startupDoneAt ??= now;
  }

  /** The dispatcher found nothing eligible to send: the current pass, if any, is over. */
  queueDrained(): void {
    // A pass started during start-up lasts at least until the scan has queued everything.
    if (this.startupDoneAt !== null) this.draining = false;
  }

  /** Start a pass now (tvm-upload upload-now, or tests). */
  triggerPass(): void {
    this.draining = true;
    this.backlogReleased = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /**
   * A reload: new operational hours and batch_upload apply at once (a closed window stops new
   * uploads; in-flight ones finish); a new schedule sets the next pass. A pass under way goes on.
   */
  apply(upload: GateConfig, now: number): void {
    const scheduleChanged = !isDeepStrictEqual(upload.schedule, this.upload.schedule);
    this.upload = upload;
    if (scheduleChanged) this.nextPassAt = nextPassAt(upload.schedule, this.passLog.lastPassAt(), now);
  }

  /** Epoch ms at which `allows()` may change its answer (Infinity: only an event changes it). */
  nextChangeAt(now: number): number {
    // A pass due during start-up waits for startupComplete(), whose caller wakes the dispatcher.
    let next = this.startupDoneAt === null ? Infinity : this.nextPassAt;
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

  /** When the current live window opened: its start today/last night, or this process's start. */
  private windowStart(now: number): number {
    const oh = this.upload.operationalHours;
    if (!oh.enabled || oh.start === oh.end) return this.startedAt;
    return Math.max(prevLocalMinute(now, oh.start), this.startedAt);
  }

  private tick(now: number): void {
    if (this.startupDoneAt === null || now < this.nextPassAt) return;
    this.triggerPass();
    this.passLog.recordPass(now);
    this.nextPassAt = nextPassAt(this.upload.schedule, now, now);
  }
}
