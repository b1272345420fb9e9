/**
 * The issue-17 part of `tvm-upload status`, read from the state database (a read-only connection
 * is enough): the queue by priority, the cellular budget and the link the daemon last saw. The
 * link is what the running daemon wrote at its last change (meta key `link_state`); a stopped
 * daemon's last link is shown with its time so nobody mistakes it for a live reading.
 */
import type Database from 'better-sqlite3';
import { BUDGET_META_KEY } from './cellular-budget.js';
import { queueByPriority } from '../priority/queue-stats.js';
import type { QueueByPriority } from '../telemetry/events.js';

export const LINK_STATE_META_KEY = 'link_state';

export interface LinkStatusFields {
  readonly queueByPriority: QueueByPriority | null;
  readonly cellularBudget: { readonly month: string; readonly usedBytes: number } | null;
  readonly link: { readonly link: string; readonly iface: string | null; readonly restriction: string | null; readonly at: string } | null;
}

export function readLinkStatusFields(db: Database.Database): LinkStatusFields {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue_by_priority'").get() !== undefined;
  const rows = hasTable ? (db.prepare('SELECT priority, files, bytes FROM queue_by_priority').all() as { priority: number; files: number; bytes: number }[]) : null;
  const meta = (key: string): Record<string, unknown> | null => {
    const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    try {
      return row === undefined ? null : (JSON.parse(row.value) as Record<string, unknown>);
    } catch {
      return null;
    }
  };
  const budget = meta(BUDGET_META_KEY);
  const link = meta(LINK_STATE_META_KEY);
  return {
    queueByPriority: rows === null ? null : queueByPriority(rows),
    cellularBudget: typeof budget?.month === 'string' && typeof budget.bytes === 'number' ? { month: budget.month, usedBytes: budget.bytes } : null,
    link:
      typeof link?.link === 'string' && typeof link.at === 'number'
        ? { link: link.link, iface: typeof link.iface === 'string' ? link.iface : null, restriction: typeof link.restriction === 'string' ? link.restriction : null, at: new Date(link.at).toISOString() }
        : null,
  };
}

/** Human lines for `status` (none when nothing of this is in use). */
export function linkStatusLines(f: LinkStatusFields): string[] {
  const out: string[] = [];
  const q = f.queueByPriority;
  if (q !== null && q.high.files + q.low.files > 0) {
    out.push(`by priority: high ${q.high.files} (${q.high.bytes} B), normal ${q.normal.files} (${q.normal.bytes} B), low ${q.low.files} (${q.low.bytes} B)`);
  }
  if (f.link !== null) out.push(`link:      ${f.link.link}${f.link.iface ? ` (${f.link.iface})` : ''}, ${f.link.restriction ?? 'every priority'}, since ${f.link.at}`);
  if (f.cellularBudget !== null) out.push(`cellular:  ${f.cellularBudget.usedBytes} bytes used in ${f.cellularBudget.month}`);
  return out;
}
