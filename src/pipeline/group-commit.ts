/**
 * Group commit: items that arrive within one turn of the event loop are written together, in one
 * state transaction, instead of one transaction (and one commit) each.
 *
 * Why: a burst of files becoming ready (10,000 written within a second) made the intake run one
 * SQLite transaction per file, synchronously; the commits alone held the event loop for 0.5 s and
 * more (docs/PERFORMANCE.md). A batch shares one commit, about five times cheaper per row.
 *
 * An item waits at most until the check phase of the loop turn it arrived in (`setImmediate`),
 * i.e. after every stat result and timer of that turn: no added latency a person could notice,
 * and nothing held across an await. A batch that reaches `max` is written at once, so one
 * transaction (and one synchronous stretch) stays bounded however large the burst.
 *
 * Durability is unchanged in kind: an item not yet written is a file on disk that the next
 * start-up scan finds, exactly like a file still being watched for stability.
 */

export interface GroupCommitOptions<T> {
  /** Items per transaction; a batch this large is written without waiting for the turn to end. */
  readonly max: number;
  /** Writes the items in one transaction. Must not throw (it reports its own failures). */
  readonly write: (items: readonly T[]) => void;
  /** Runs `fn` once the current loop turn's I/O callbacks are done; default `setImmediate`. */
  readonly defer?: (fn: () => void) => void;
}

export class GroupCommit<T> {
  private batch: T[] = [];
  private armed = false;
  private closed = false;
  private readonly defer: (fn: () => void) => void;

  constructor(private readonly o: GroupCommitOptions<T>) {
    if (!Number.isInteger(o.max) || o.max < 1) throw new RangeError(`GroupCommit: max must be a positive integer, got ${o.max}`);
    this.defer = o.defer ?? ((fn) => void setImmediate(fn));
  }

  /** Items waiting for their transaction. */
  get pending(): number {
    return this.batch.length;
  }

  add(item: T): void {
    if (this.closed) return;
    this.batch.push(item);
    if (this.batch.length >= this.o.max) {
      this.flush();
    } else if (!this.armed) {
      this.armed = true;
      this.defer(() => {
        this.armed = false;
        this.flush();
      });
    }
  }

  /** Writes whatever is waiting now. */
  flush(): void {
    if (this.batch.length === 0) return;
    const items = this.batch;
    this.batch = [];
    this.o.write(items);
  }

  /** Writes what is waiting, then accepts nothing more. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }
}
