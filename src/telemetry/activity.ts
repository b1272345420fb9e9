/**
 * What the state database cannot answer by itself for `status`: how many upload attempts failed
 * in the last 24 hours and the last error of each class (error code). Uploads and bytes are
 * read from the files table (uploaded_at); failures leave no row behind once a retry succeeds,
 * so they are counted here, in hourly buckets, and kept in the meta table under `activity` so
 * that `status` in another process, and the next daemon start, see them.
 *
 * Bounded: at most 25 hourly buckets and one entry per error code of the catalog. Writes are
 * coalesced (at most one per `saveEveryMs`), so a failure storm costs one small upsert a second.
 */
import type { TelemetryEvent } from './events.js';

export const ACTIVITY_META_KEY = 'activity';
const HOUR = 3_600_000;
const WINDOW = 24 * HOUR;

export interface LastError {
  readonly code: string;
  readonly at: number;
  readonly path: string;
  readonly message: string;
}

export interface ActivityRecord {
  /** [hour start (epoch ms), failed attempts in that hour]. */
  readonly failures: ReadonlyArray<readonly [number, number]>;
  readonly lastErrors: readonly LastError[];
}

const EMPTY: ActivityRecord = { failures: [], lastErrors: [] };

/** Parses the stored record; anything unreadable counts as empty (it is a summary, not data). */
export function parseActivity(text: string | null): ActivityRecord {
  if (text === null) return EMPTY;
  try {
    const v = JSON.parse(text) as Partial<ActivityRecord>;
    const failures = Array.isArray(v.failures) ? v.failures.filter((b) => Array.isArray(b) && b.length === 2 && b.every(Number.isFinite)) : [];
    const lastErrors = Array.isArray(v.lastErrors) ? v.lastErrors.filter((e) => typeof e?.code === 'string' && Number.isFinite(e.at)) : [];
    return { failures, lastErrors };
  } catch {
    return EMPTY;
  }
}

/** Failed attempts in the 24 hours before `now` (hour granularity). */
export function failuresSince(record: ActivityRecord, now: number): number {
  return record.failures.filter(([hour]) => hour + HOUR > now - WINDOW).reduce((n, [, count]) => n + count, 0);
}

export interface ActivityLogOptions {
  readonly now: () => number;
  readonly load: () => string | null;
  readonly save: (text: string) => void;
  readonly saveEveryMs?: number;
  readonly onSaveError?: (err: unknown) => void;
}

export class ActivityLog {
  #failures = new Map<number, number>();
  #lastErrors = new Map<string, LastError>();
  #dirty = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: ActivityLogOptions) {
    const r = parseActivity(o.load());
    for (const [hour, n] of r.failures) this.#failures.set(hour, n);
    for (const e of r.lastErrors) this.#lastErrors.set(e.code, e);
  }

  /** A telemetry listener. */
  record(e: TelemetryEvent): void {
    if (e.type !== 'file.failed') return;
    const at = this.o.now();
    const hour = at - (at % HOUR);
    this.#failures.set(hour, (this.#failures.get(hour) ?? 0) + 1);
    this.#lastErrors.set(e.code, { code: e.code, at, path: e.path, message: e.message });
    this.#dirty = true;
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      this.flush();
    }, this.o.saveEveryMs ?? 1000).unref();
  }

  snapshot(): ActivityRecord {
    const cutoff = this.o.now() - WINDOW - HOUR;
    for (const hour of this.#failures.keys()) if (hour < cutoff) this.#failures.delete(hour);
    const lastErrors = [...this.#lastErrors.values()].sort((a, b) => b.at - a.at);
    return { failures: [...this.#failures.entries()].sort((a, b) => a[0] - b[0]), lastErrors };
  }

  /** Writes the record if it changed. Never throws: a summary must not stop uploads. */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#dirty) return;
    try {
      this.o.save(JSON.stringify(this.snapshot()));
      this.#dirty = false;
    } catch (err) {
      this.o.onSaveError?.(err);
    }
  }
}
