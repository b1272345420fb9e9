/**
 * The metrics outbox: CloudWatch data points are written here first and removed only once
 * CloudWatch accepted them, so a restart or a week offline loses no counts (the reference kept
 * them in memory). Ids are never reused, so acknowledging a batch after a drop cannot delete
 * points written later. Batching, aggregation and sending belong to the CloudWatch sink.
 */
import type Database from 'better-sqlite3';
import { ErrorCodes, TvmError } from '../errors.js';
import { guarded } from './sqlite-errors.js';
import type { MetricDatum, OutboxEntry } from './types.js';

/** Ids per DELETE statement: stays below SQLite's bound-parameter limit. */
const ACK_CHUNK = 500;

type OutboxRow = Omit<OutboxEntry, 'dimension'> & { dimension_name: string | null; dimension_value: string | null };

/** A vehicle-wide point (both columns NULL) has no `dimension` key at all, as it was written. */
function toEntry({ dimension_name: name, dimension_value: value, ...entry }: OutboxRow): OutboxEntry {
  return name === null || value === null ? entry : { ...entry, dimension: { name, value } };
}

export class OutboxRepo {
  private readonly s;
  private readonly addTx: (data: readonly MetricDatum[]) => void;
  private readonly ackTx: (ids: readonly number[]) => void;

  constructor(
    private readonly db: Database.Database,
    private readonly dbPath: string,
  ) {
    const p = <R = unknown>(sql: string) => db.prepare<unknown[], R>(sql);
    this.s = {
      insert: p('INSERT INTO outbox (name, unit, value, timestamp, dimension_name, dimension_value) VALUES (?, ?, ?, ?, ?, ?)'),
      peek: p<OutboxRow>('SELECT id, name, unit, value, timestamp, dimension_name, dimension_value FROM outbox ORDER BY id LIMIT ?'),
      count: p<{ n: number }>(`SELECT n FROM counts WHERE name = 'outbox'`),
      drop: p('DELETE FROM outbox WHERE timestamp < ?'),
    };
    this.addTx = db.transaction((data: readonly MetricDatum[]) => {
      for (const d of data) this.s.insert.run(d.name, d.unit, d.value, d.timestamp, d.dimension?.name ?? null, d.dimension?.value ?? null);
    });
    this.ackTx = db.transaction((ids: readonly number[]) => {
      for (let i = 0; i < ids.length; i += ACK_CHUNK) {
        const chunk = ids.slice(i, i + ACK_CHUNK);
        db.prepare(`DELETE FROM outbox WHERE id IN (${chunk.map(() => '?').join(',')})`).run(...chunk);
      }
    });
  }

  /** Appends one or many data points in one transaction. Non-finite values are a caller bug. */
  add(data: MetricDatum | readonly MetricDatum[]): void {
    const list: readonly MetricDatum[] = Array.isArray(data) ? data : [data as MetricDatum];
    for (const d of list) {
      if (!Number.isFinite(d.value) || !Number.isFinite(d.timestamp)) {
        throw new TvmError(ErrorCodes.INTERNAL, `metric ${d.name}: value ${d.value} at ${d.timestamp} is not finite`, {
          retriability: 'permanent',
        });
      }
    }
    if (list.length > 0) this.guard(() => this.addTx(list));
  }

  /** Up to `limit` entries, oldest first, left in place until acked. */
  peek(limit: number): OutboxEntry[] {
    return this.guard(() => this.s.peek.all(Math.max(0, Math.floor(limit)))).map(toEntry);
  }

  /** Removes sent entries. Unknown ids are ignored. */
  ack(ids: readonly number[]): void {
    if (ids.length > 0) this.guard(() => this.ackTx(ids));
  }

  /** O(1): maintained by triggers. */
  count(): number {
    return this.guard(() => (this.s.count.get() as { n: number }).n);
  }

  /** Deletes entries with timestamp < cutoffMs (CloudWatch rejects points older than 14 days). */
  dropOlderThan(cutoffMs: number): number {
    return this.guard(() => this.s.drop.run(cutoffMs).changes);
  }

  private guard<T>(fn: () => T): T {
    return guarded(this.db, this.dbPath, fn);
  }
}
