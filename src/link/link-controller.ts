/**
 * Keeps the link policy in force on a running daemon: probes the link every
 * `probe_interval_seconds` (and soon after an upload error), follows the bandwidth timetable's
 * boundaries, meters bytes sent over cellular, and turns all of it into two outputs:
 *
 *   probe ─┐
 *   clock ─┼─► decideLink() ─► admit()  (the dispatcher's priority gate; revoke on tightening)
 *   bytes ─┘                 └► throttle.setRate(lowest of max_mbps, link cap, timetable)
 *
 * With neither `upload.links` nor `upload.bandwidth.schedule` set it runs no timer and only
 * keeps the throttle at max_mbps, exactly as before these keys existed.
 */
import type { Config } from '../config/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { Clock } from '../clock/clock.js';
import type { PriorityRank } from '../priority/priority.js';
import { CellularBudget, type BudgetStore } from './cellular-budget.js';
import { InterfaceMap, type LinkKind } from './link-kind.js';
import { decideLink, type LinkDecision } from './link-policy.js';
import { probeLink, realProbeIo, type ProbeIo } from './link-probe.js';
import { Timetable } from './timetable.js';
import { LINK_STATE_META_KEY, linkStateRecord, type LinkStatus } from './status-fields.js';

export type { LinkStatus };

/** An upload error re-probes at most this often (a burst of failures is one probe). */
const ERROR_PROBE_GAP_MS = 2000;
/** Longest wait before the timetable is looked at again (a clock set by NTP is caught within it). */
export const CLOCK_LOOK_MS = 60_000;

export interface RateTarget {
  readonly bytesPerSecond: number | null;
  setRate(bytesPerSecond: number | null): void;
}

export interface LinkControllerOptions {
  readonly config: Config;
  readonly budgetStore: BudgetStore;
  readonly throttle: RateTarget;
  readonly logger: Logger;
  readonly timers: Clock;
  /** The decision changed: `tightened` when something allowed before no longer is. */
  readonly onChange: (decision: LinkDecision, tightened: boolean) => void;
  readonly io?: ProbeIo;
}


export class LinkController {
  private config: Config;
  private map: InterfaceMap;
  private timetable: Timetable;
  private readonly budget: CellularBudget;
  private readonly io: ProbeIo;
  /** Before the first probe answers the link is unknown: assume metered. */
  private link: LinkKind = 'cellular';
  private iface: string | null = null;
  private probed = false;
  private lastProbeAt: number | null = null;
  private lastProbeError: string | null = null;
  private warnedUnmapped = new Set<string>();
  private decision: LinkDecision;
  private probeTimer: unknown = null;
  private clockTimer: unknown = null;
  /** Wall-clock ms of the timetable boundary the clock timer waits for (Infinity: none). */
  private boundaryAt = Infinity;
  private probing: Promise<void> | null = null;
  private closed = false;
  /** The figures last written under LINK_STATE_META_KEY (see record()). */
  private recorded = '';

  constructor(private readonly o: LinkControllerOptions) {
    this.config = o.config;
    this.io = o.io ?? realProbeIo;
    this.map = new InterfaceMap(this.config.upload.links?.interfaces ?? []);
    this.timetable = new Timetable(this.config.upload.bandwidth.schedule ?? []);
    this.budget = new CellularBudget(o.budgetStore, this.config.upload.links?.cellularBudgetBytesPerMonth ?? null, () => o.timers.now());
    this.decision = this.decide();
  }

  private get links() {
    return this.config.upload.links;
  }

  /** First probe (awaited, so the first claim already knows the link), then the timers. */
  async start(): Promise<void> {
    if (this.links !== undefined) await this.probe();
    this.refresh();
    this.armProbe();
    this.armClock();
  }

  /** The dispatcher's gate: least urgent rank that may be sent now, null = none. */
  admit(): PriorityRank | null {
    this.catchUpBoundary();
    return this.decision.maxPriority;
  }

  /** Bytes that went on the wire (the transfer observer); metered while the link is cellular. */
  recordBytes(bytes: number): void {
    if (this.closed || this.links === undefined || this.link !== 'cellular') return;
    const before = this.budget.level();
    this.budget.record(bytes);
    if (this.budget.level() !== before) this.refresh();
  }

  /** An upload failed: the link may have changed under it. */
  probeSoon(): void {
    if (this.links === undefined || this.closed || this.probing !== null) return;
    if (this.lastProbeAt !== null && this.o.timers.now() - this.lastProbeAt < ERROR_PROBE_GAP_MS) return;
    void this.probe().then(() => this.refresh());
  }

  /** A reload: new interfaces, policy, budget, timetable or max_mbps take effect now. */
  async apply(next: Config): Promise<void> {
    const hadLinks = this.links !== undefined;
    this.config = next;
    this.map = new InterfaceMap(next.upload.links?.interfaces ?? []);
    this.timetable = new Timetable(next.upload.bandwidth.schedule ?? []);
    this.budget.setLimit(next.upload.links?.cellularBudgetBytesPerMonth ?? null);
    if (this.links !== undefined && (!hadLinks || !this.probed)) await this.probe();
    this.refresh();
    this.armProbe();
    this.armClock();
  }

  status(): LinkStatus {
    this.catchUpBoundary();
    return this.snapshot();
  }

  private snapshot(): LinkStatus {
    return {
      link: this.links === undefined ? null : this.link,
      iface: this.iface,
      restriction: this.decision.restriction,
      bytesPerSecond: this.decision.bytesPerSecond,
      budget: this.links === undefined ? null : this.budget.snapshot(),
      lastProbeAt: this.lastProbeAt,
      lastProbeError: this.lastProbeError,
    };
  }

  close(): void {
    this.closed = true;
    this.clear();
    if (this.links !== undefined) this.budget.flush();
  }

  private decide(): LinkDecision {
    const rate = this.timetable.empty ? undefined : this.timetable.entryAt(this.o.timers.now())!.bytesPerSecond;
    return decideLink({
      link: this.link,
      links: this.links,
      budget: this.budget.level(),
      maxBytesPerSecond: this.config.upload.bandwidth.maxBytesPerSecond,
      timetableRate: rate,
    });
  }

  /** Recomputes the decision and applies it: throttle rate, and the dispatcher if it changed. */
  private refresh(): void {
    // A probe that answers after close() must not write to a state store that is closing.
    if (this.closed) return;
    const before = this.decision;
    const next = this.decide();
    this.decision = next;
    if (this.o.throttle.bytesPerSecond !== next.bytesPerSecond) this.o.throttle.setRate(next.bytesPerSecond);
    this.record();
    if (before.maxPriority === next.maxPriority && before.restriction === next.restriction) return;
    const tightened = next.maxPriority === null || (before.maxPriority !== null && next.maxPriority < before.maxPriority);
    this.o.logger.info(
      { link: this.link, iface: this.iface, restriction: next.restriction, bytesPerSecond: next.bytesPerSecond },
      next.restriction === null ? `link ${this.link}: uploading every priority` : `link ${this.link}: ${next.restriction}`,
    );
    this.o.onChange(next, tightened);
  }

  /**
   * Stores what `status` in another process shows (link, probe, rate in force) when it changed
   * since the last write: at most one small meta row per probe interval.
   */
  private record(): void {
    const s = this.snapshot();
    const key = JSON.stringify([s.link, s.iface, s.restriction, s.bytesPerSecond, s.lastProbeAt, s.lastProbeError]);
    if (key === this.recorded) return;
    this.recorded = key;
    this.o.budgetStore.set(LINK_STATE_META_KEY, linkStateRecord(s, this.o.timers.now()));
  }

  private probe(): Promise<void> {
    const links = this.links;
    if (links === undefined) return Promise.resolve();
    this.probing ??= probeLink(links, this.map, this.io)
      .then((r) => {
        if (this.closed) return;
        this.lastProbeAt = this.o.timers.now();
        if (!r.ok) {
          if (this.lastProbeError !== r.error) this.o.logger.warn(`link probe failed, keeping link ${this.link}: ${r.error}`);
          this.lastProbeError = r.error;
          return;
        }
        this.lastProbeError = null;
        this.probed = true;
        if (!r.mapped && r.iface !== null && !this.warnedUnmapped.has(r.iface)) {
          this.warnedUnmapped.add(r.iface);
          this.o.logger.warn({ iface: r.iface }, `interface ${r.iface} matches no upload.links.interfaces entry nor a built-in name: treated as cellular (metered); map it in upload.links.interfaces`);
        }
        this.link = r.link;
        this.iface = r.iface;
        this.budget.flush();
      })
      .finally(() => {
        this.probing = null;
      });
    return this.probing;
  }

  private armProbe(): void {
    if (this.probeTimer !== null) this.o.timers.clearTimeout(this.probeTimer);
    this.probeTimer = null;
    const links = this.links;
    if (links === undefined || this.closed) return;
    this.probeTimer = this.o.timers.setTimeout(() => {
      this.probeTimer = null;
      void this.probe().then(() => {
        this.refresh();
        this.armProbe();
      });
    }, links.probeIntervalSeconds * 1000);
  }

  /**
   * Wakes at the next timetable boundary and re-applies the rate. The timetable is wall-clock
   * time but timers run on the monotonic clock: a vehicle's clock set by NTP after boot (hours
   * off), or a timer that fires late or early, would keep the wrong rate until the next boundary.
   * So the timer never waits more than a minute before looking again, and whoever reads the
   * decision (the dispatcher, status) re-applies it first when the clock is past the boundary.
   */
  private armClock(): void {
    if (this.clockTimer !== null) this.o.timers.clearTimeout(this.clockTimer);
    this.clockTimer = null;
    this.boundaryAt = Infinity;
    if (this.timetable.empty || this.closed) return;
    const now = this.o.timers.now();
    const at = this.timetable.nextChangeAt(now);
    this.boundaryAt = at;
    this.clockTimer = this.o.timers.setTimeout(() => {
      this.clockTimer = null;
      this.refresh();
      this.armClock();
    }, Math.min(CLOCK_LOOK_MS, Math.max(1000, at - now)));
  }

  /** The clock is past the boundary the timer waits for (a late timer, a clock set forward): apply it now. */
  private catchUpBoundary(): void {
    if (this.closed || this.o.timers.now() < this.boundaryAt) return;
    this.boundaryAt = Infinity;
    this.refresh();
    this.armClock();
  }

  private clear(): void {
    this.boundaryAt = Infinity;
    if (this.probeTimer !== null) this.o.timers.clearTimeout(this.probeTimer);
    if (this.clockTimer !== null) this.o.timers.clearTimeout(this.clockTimer);
    this.probeTimer = null;
    this.clockTimer = null;
  }
}
