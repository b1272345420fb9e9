/**
 * `upload.links.cellular_budget_mb_per_month`: the wire bytes sent while the link is cellular,
 * counted per calendar month in the vehicle's local time (the process's TZ) and kept in the meta
 * table so a restart does not reset the meter. At 80 % only `high` files go over cellular, at
 * 100 % nothing does until the month rolls over (or the link changes).
 *
 * Writes are batched: the count is persisted at least every FLUSH_BYTES and on flush() (the
 * link controller calls it on every probe and at close), so a crash forgets at most that much.
 */

export const BUDGET_META_KEY = 'cellular_budget';
export const HIGH_ONLY_FRACTION = 0.8;
const FLUSH_BYTES = 1024 * 1024;

export type BudgetLevel = 'ok' | 'high-only' | 'exhausted';

export interface BudgetStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

export interface BudgetSnapshot {
  /** Local calendar month, "YYYY-MM". */
  readonly month: string;
  readonly usedBytes: number;
  /** null = no budget set (bytes are still counted). */
  readonly limitBytes: number | null;
  readonly leftBytes: number | null;
  readonly level: BudgetLevel;
}

export function monthOf(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

/** Epoch ms of the next local first-of-the-month midnight after `epochMs`. */
export function nextMonthStart(epochMs: number): number {
  const d = new Date(epochMs);
  return new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
}

export class CellularBudget {
  private month: string;
  private used: number;
  private unflushed = 0;

  constructor(
    private readonly store: BudgetStore,
    private limit: number | null,
    private readonly now: () => number,
  ) {
    const saved = readSaved(store.get(BUDGET_META_KEY));
    this.month = saved?.month ?? monthOf(now());
    this.used = saved?.bytes ?? 0;
    this.roll();
  }

  setLimit(bytes: number | null): void {
    this.limit = bytes;
  }

  /** Counts bytes sent over cellular. */
  record(bytes: number): void {
    this.roll();
    this.used += bytes;
    this.unflushed += bytes;
    if (this.unflushed >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    this.unflushed = 0;
    this.store.set(BUDGET_META_KEY, JSON.stringify({ month: this.month, bytes: this.used }));
  }

  level(): BudgetLevel {
    this.roll();
    if (this.limit === null) return 'ok';
    if (this.used >= this.limit) return 'exhausted';
    return this.used >= this.limit * HIGH_ONLY_FRACTION ? 'high-only' : 'ok';
  }

  snapshot(): BudgetSnapshot {
    const level = this.level();
    return {
      month: this.month,
      usedBytes: this.used,
      limitBytes: this.limit,
      leftBytes: this.limit === null ? null : Math.max(0, this.limit - this.used),
      level,
    };
  }

  /** A new month starts from zero (the old month's count is not kept). */
  private roll(): void {
    const month = monthOf(this.now());
    if (month === this.month) return;
    this.month = month;
    this.used = 0;
    this.flush();
  }
}

function readSaved(text: string | null): { month: string; bytes: number } | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as { month?: unknown; bytes?: unknown };
    if (typeof v.month === 'string' && typeof v.bytes === 'number' && Number.isFinite(v.bytes) && v.bytes >= 0) {
      return { month: v.month, bytes: v.bytes };
    }
  } catch {
    // A damaged value counts as no record: the meter restarts at 0 for this month.
  }
  return null;
}
