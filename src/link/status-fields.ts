/**
 * The issue-17 part of the status report, in one shape whoever builds it: the link (kind,
 * interface, policy restriction, last probe and its error), the cellular budget (used, left,
 * limit, level), the bandwidth in force, and the queue by priority. The daemon builds it from its
 * live LinkController (`/status`, the page); `tvm-upload status` in another process reads the same
 * figures from the state database: the link record the daemon writes at each probe and change
 * (meta key `link_state`, see linkStateRecord), the budget meter and the queue_by_priority table.
 * A stopped daemon's last record is shown with the time it was written (`reportedAt`), so nobody
 * mistakes it for a live reading.
 */
import type Database from 'better-sqlite3';
import type { Config } from '../config/types.js';
import { queueByPriority, usesPriorities } from '../priority/queue-stats.js';
import type { QueueByPriority } from '../telemetry/events.js';
import { CellularBudget, type BudgetSnapshot } from './cellular-budget.js';
import { isLinkKind, type LinkKind } from './link-kind.js';

export const LINK_STATE_META_KEY = 'link_state';

/** What the LinkController knows now (its status()). */
export interface LinkStatus {
  readonly link: LinkKind | null;
  readonly iface: string | null;
  readonly restriction: string | null;
  readonly bytesPerSecond: number | null;
  readonly budget: BudgetSnapshot | null;
  readonly lastProbeAt: number | null;
  readonly lastProbeError: string | null;
}

export interface LinkReport {
  readonly link: LinkKind;
  readonly iface: string | null;
  /** Why some priorities wait (link policy or budget), or null when every priority is sent. */
  readonly restriction: string | null;
  readonly lastProbeAt: string | null;
  /** The last probe's failure (the link before it is kept), or null. */
  readonly lastProbeError: string | null;
  /** When these figures were taken: now for the daemon itself, the record's time otherwise. */
  readonly reportedAt: string;
}

export interface LinkStatusFields {
  /** Null unless priorities, links or markers are configured. */
  readonly queueByPriority: QueueByPriority | null;
  /** Null unless upload.links is configured (or no daemon has reported one yet). */
  readonly link: LinkReport | null;
  readonly cellularBudget: BudgetSnapshot | null;
  /** The upload rate in force (max_mbps, the timetable and the link cap: the lowest); null bytesPerSecond = unlimited. Null when not known yet. */
  readonly bandwidth: { readonly bytesPerSecond: number | null } | null;
}

/** What the daemon stores under LINK_STATE_META_KEY (JSON): LinkStatus less the budget, plus the time. */
export function linkStateRecord(s: LinkStatus, now: number): string {
  return JSON.stringify({ link: s.link, iface: s.iface, restriction: s.restriction, bytesPerSecond: s.bytesPerSecond, lastProbeAt: s.lastProbeAt, lastProbeError: s.lastProbeError, at: now });
}

/** The daemon's own figures (live). */
export function liveLinkStatusFields(s: LinkStatus, queue: QueueByPriority | null, now: number): LinkStatusFields {
  return {
    queueByPriority: queue,
    link: s.link === null ? null : { link: s.link, iface: s.iface, restriction: s.restriction, lastProbeAt: iso(s.lastProbeAt), lastProbeError: s.lastProbeError, reportedAt: new Date(now).toISOString() },
    cellularBudget: s.budget,
    bandwidth: { bytesPerSecond: s.bytesPerSecond },
  };
}

/** The same figures from the state database (a read-only connection is enough). */
export function readLinkStatusFields(db: Database.Database, config: Pick<Config, 'upload' | 'logDirectories'>, now: number): LinkStatusFields {
  const meta = (key: string): string | null => (db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  const record = parseRecord(meta(LINK_STATE_META_KEY));
  const links = config.upload.links;
  // The meter over a store that keeps nothing: it rolls a past month over to 0 and computes the
  // level exactly as the daemon does, without writing to the daemon's database.
  const budget = links === undefined ? null : new CellularBudget({ get: meta, set: () => undefined }, links.cellularBudgetBytesPerMonth, () => now).snapshot();
  return {
    queueByPriority: usesPriorities(config) ? readQueue(db) : null,
    link: links === undefined || record === null || record.link === null ? null : { ...record.report, link: record.link },
    cellularBudget: budget,
    bandwidth: record === null ? null : { bytesPerSecond: record.bytesPerSecond },
  };
}

interface StoredRecord {
  readonly link: LinkKind | null;
  readonly report: Omit<LinkReport, 'link'>;
  readonly bytesPerSecond: number | null;
}

function parseRecord(text: string | null): StoredRecord | null {
  let v: Record<string, unknown>;
  try {
    v = text === null ? {} : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    return null; // a damaged record reads as none: the next probe writes a good one
  }
  if (typeof v?.at !== 'number') return null;
  const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
  const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  return {
    link: typeof v.link === 'string' && isLinkKind(v.link) ? v.link : null,
    report: { iface: str(v.iface), restriction: str(v.restriction), lastProbeAt: iso(num(v.lastProbeAt)), lastProbeError: str(v.lastProbeError), reportedAt: new Date(v.at).toISOString() },
    bytesPerSecond: num(v.bytesPerSecond),
  };
}

function readQueue(db: Database.Database): QueueByPriority | null {
  // Absent before the priority migration (a daemon of this version has not opened the store yet).
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue_by_priority'").get() !== undefined;
  return hasTable ? queueByPriority(db.prepare('SELECT priority, files, bytes FROM queue_by_priority').all() as { priority: number; files: number; bytes: number }[]) : null;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
