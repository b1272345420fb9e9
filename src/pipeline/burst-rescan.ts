/**
 * A rescan after a burst of watcher events big enough to have overflowed the kernel's inotify
 * queue. @parcel/watcher 2.6 drops the kernel's overflow notice (IN_Q_OVERFLOW is skipped in
 * src/linux/InotifyBackend.cc) without telling us, so the files of the lost events would only be
 * found by the periodic rescan, ten minutes later by default.
 *
 * The queue can only overflow once `fs.inotify.max_queued_events` events were waiting in it, and
 * the ones queued are still delivered. @parcel/watcher merges events of one path (a create and
 * the writes after it arrive as one), so fewer arrive than the kernel queued: a burst that
 * delivers a quarter of the queue's size or more is taken as a possible overflow, and every
 * directory it touched is rescanned once the events have been quiet for `quietMs`. A rescan of
 * files already queued or uploaded records nothing, so a false alarm costs one walk.
 */
import { readFileSync } from 'node:fs';
import type { SchedulerLike, Subscription } from 'rxjs';

/** The kernel's default `fs.inotify.max_queued_events`. */
export const DEFAULT_INOTIFY_QUEUE = 16_384;

/** The inotify queue size of this machine, or the kernel's default when it cannot be read. */
export function inotifyQueueSize(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number {
  try {
    const n = Number.parseInt(read('/proc/sys/fs/inotify/max_queued_events').trim(), 10);
    return Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_INOTIFY_QUEUE;
  } catch {
    return DEFAULT_INOTIFY_QUEUE;
  }
}

export interface BurstRescanOptions {
  /** Events in one burst from which it counts as a possible overflow. */
  readonly threshold: number;
  /** A burst ends after this long without an event. */
  readonly quietMs: number;
  readonly now: () => number;
  readonly scheduler: SchedulerLike;
  /** Rescans these directories (slot indexes); told how many events the burst had. */
  readonly rescan: (dirIndexes: readonly number[], events: number) => void;
}

export class BurstRescan {
  private count = 0;
  private readonly dirs = new Set<number>();
  private lastAt = 0;
  private timer: Subscription | null = null;
  private closed = false;

  constructor(private readonly o: BurstRescanOptions) {
    if (!(Number.isSafeInteger(o.threshold) && o.threshold >= 1)) throw new RangeError(`threshold must be a positive integer, got ${o.threshold}`);
  }

  /** One watcher event of a directory. Cheap: at most one timer per burst, never one per event. */
  note(dirIndex: number): void {
    if (this.closed) return;
    this.count++;
    this.dirs.add(dirIndex);
    this.lastAt = this.o.now();
    if (this.timer === null) this.arm(this.o.quietMs);
  }

  close(): void {
    this.closed = true;
    this.timer?.unsubscribe();
    this.timer = null;
  }

  private arm(delayMs: number): void {
    this.timer = this.o.scheduler.schedule(() => this.check(), delayMs);
  }

  private check(): void {
    this.timer = null;
    if (this.closed) return;
    const quietFor = this.o.now() - this.lastAt;
    if (quietFor < this.o.quietMs) {
      this.arm(this.o.quietMs - quietFor);
      return;
    }
    const { count } = this;
    const dirs = [...this.dirs];
    this.count = 0;
    this.dirs.clear();
    if (count >= this.o.threshold) this.o.rescan(dirs, count);
  }
}
