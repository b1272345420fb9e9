/**
 * Keeps each configured log directory watched: at most one watcher subscription and one pending
 * retry per directory slot, so failed attempts never pile up. A directory that cannot be watched
 * is tried again every `retryWatchSeconds`; a watched root deleted (`rosclean purge`) or replaced
 * leaves its OS watch on a dead inode, so every `rootCheckMs` each root is stat-ed and a changed
 * identity drops the old watch, and once a directory is back at that path it is watched again.
 * Each time a directory is watched again the owner is asked to rescan it: files created while
 * nothing watched are found that way.
 *
 * It knows nothing of files: watcher events go to `onEvent`, rescans to `rescan`. Time comes
 * from the Clock, so the retry and the root check run in virtual time in tests.
 */
import { mkdir, stat } from 'node:fs/promises';
import type { Subscription } from 'rxjs';
import type { Clock, TimerHandle } from '../clock/clock.js';
import type { Logger } from '../telemetry/logger.js';
import type { Telemetry } from '../telemetry/events.js';
import { catalogOnly, RetryPolicy } from '../sinks/retry.js';
import { classifyFsSignals } from '../sinks/fs-errors.js';
import { errorSignals } from '../sinks/error-chain.js';
import { watchDirectory, type WatcherBackend, type WatchEvent } from './watch-source.js';

export interface DirectoryWatchesOptions {
  readonly clock: Clock;
  readonly watcher: WatcherBackend;
  readonly telemetry: Pick<Telemetry, 'emit'>;
  readonly logger: Logger;
  /** Seconds between attempts to watch a directory that failed. */
  readonly retryWatchSeconds: number;
  /** Milliseconds between checks that each watched root is still the directory watched (0 = off). */
  readonly rootCheckMs: number;
  /** The path configured in slot `i` now, or null once a reload removed it. */
  readonly pathAt: (i: number) => string | null;
  readonly slotCount: () => number;
  readonly onEvent: (e: WatchEvent) => void;
  /** A directory watched again after a failure or a replaced root: scan it. */
  readonly rescan: (dirIndex: number) => Promise<void>;
}

export class DirectoryWatches {
  private closed = false;
  private readonly watching = new Set<number>();
  private readonly subs = new Map<number, Subscription>();
  private readonly retries = new Map<number, TimerHandle>();
  private readonly rootIds = new Map<number, string>();
  private readonly checking = new Set<number>();
  private rootCheck: TimerHandle | null = null;
  /** Failed watch attempts per slot since it was last watched (the retry policy's attempt number). */
  private readonly failures = new Map<number, number>();
  /**
   * Per slot, bumped by every unwatch (and so by every watch attempt, which unwatches first): an
   * attempt still awaiting the file system when a newer one starts (a retry timer and the root
   * check can both start one) sees it has been superseded and ends only its own subscription.
   * Without it both attempts subscribed and the first subscription leaked: one more native
   * watch and every event twice, per collision.
   */
  private readonly generation = new Map<number, number>();
  private readonly retry: RetryPolicy;

  constructor(private readonly o: DirectoryWatchesOptions) {
    // Every `retryWatchSeconds`, never less (random 1: no jitter), whatever failed; never given up.
    const every = o.retryWatchSeconds;
    this.retry = new RetryPolicy({ baseSeconds: every, maxSeconds: every, maxAttempts: 1 }, () => 1, { classify: classifyWatchError });
  }

  /**
   * (Re)watches one directory. `create`: make a missing directory (at start-up, like the
   * reference); a root deleted later is only re-watched once something recreates it.
   */
  async watch(dirIndex: number, create = true): Promise<void> {
    const path = this.o.pathAt(dirIndex);
    if (path === null || this.closed) return;
    this.unwatch(dirIndex);
    const gen = this.generation.get(dirIndex);
    // Closed, the directory removed or moved by a reload, or a newer attempt started meanwhile.
    const superseded = (): boolean => this.closed || this.generation.get(dirIndex) !== gen || this.o.pathAt(dirIndex) !== path;
    let sub: Subscription | null = null;
    try {
      if (create) await mkdir(path, { recursive: true });
      const id = await rootIdentity(path);
      if (superseded()) return;
      const { events$, ready } = watchDirectory(dirIndex, path, this.o.watcher);
      sub = events$.subscribe({ next: (e) => this.o.onEvent(e), error: () => undefined });
      this.subs.set(dirIndex, sub);
      await ready;
      if (superseded()) return this.release(dirIndex, sub);
      this.rootIds.set(dirIndex, id);
      this.watching.add(dirIndex);
      this.failures.delete(dirIndex);
    } catch (err) {
      if (sub !== null) this.release(dirIndex, sub);
      if (superseded()) return;
      this.o.telemetry.emit({ type: 'watch.error', dir: path, message: describeError(err) });
      const attempt = (this.failures.get(dirIndex) ?? 0) + 1;
      this.failures.set(dirIndex, attempt);
      const t = this.o.clock.setTimeout(() => {
        this.retries.delete(dirIndex);
        void this.rewatch(dirIndex, true);
      }, this.retry.decide({ attempt, error: err }).delayMs);
      this.retries.set(dirIndex, t);
    }
  }

  unwatch(dirIndex: number): void {
    this.generation.set(dirIndex, (this.generation.get(dirIndex) ?? 0) + 1);
    this.watching.delete(dirIndex);
    this.rootIds.delete(dirIndex);
    this.subs.get(dirIndex)?.unsubscribe();
    this.subs.delete(dirIndex);
    const retry = this.retries.get(dirIndex);
    if (retry !== undefined) this.o.clock.clearTimeout(retry);
    this.retries.delete(dirIndex);
  }

  /** Ends one attempt's subscription, and the slot's state only while it is still the slot's. */
  private release(dirIndex: number, sub: Subscription): void {
    sub.unsubscribe();
    if (this.subs.get(dirIndex) !== sub) return;
    this.subs.delete(dirIndex);
    this.watching.delete(dirIndex);
    this.rootIds.delete(dirIndex);
  }

  startRootCheck(): void {
    const every = this.o.rootCheckMs;
    if (every <= 0 || this.closed) return;
    this.rootCheck = this.o.clock.setInterval(() => {
      for (let i = 0; i < this.o.slotCount(); i++) this.checkRoot(i);
    }, every);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.rootCheck !== null) this.o.clock.clearInterval(this.rootCheck);
    for (const t of this.retries.values()) this.o.clock.clearTimeout(t);
    for (const s of this.subs.values()) s.unsubscribe();
  }

  private checkRoot(i: number): void {
    const path = this.o.pathAt(i);
    if (path === null || this.checking.has(i) || this.retries.has(i) || this.closed) return;
    this.checking.add(i);
    void rootIdentity(path)
      .catch(() => null)
      .then(async (id) => {
        if (id !== null && id === this.rootIds.get(i)) return;
        if (this.watching.has(i)) {
          this.o.logger.warn({ dir: path }, 'watched directory was deleted or replaced; watching it again once it exists');
          this.unwatch(i);
        }
        if (id !== null) await this.rewatch(i, false);
      })
      .finally(() => this.checking.delete(i));
  }

  /** Watches again and rescans: files created while nothing watched are found. */
  private async rewatch(dirIndex: number, create: boolean): Promise<void> {
    await this.watch(dirIndex, create);
    if (this.watching.has(dirIndex)) await this.o.rescan(dirIndex);
  }
}

/** dev:ino of a watched root (stat: a root configured as a symbolic link to a directory is fine). */
async function rootIdentity(path: string): Promise<string> {
  const st = await stat(path);
  if (!st.isDirectory()) throw Object.assign(new Error(`${path} is not a directory`), { code: 'ENOTDIR' });
  return `${st.dev}:${st.ino}`;
}

/** A directory that cannot be watched: the file-system rules, else the error as it is. */
function classifyWatchError(err: unknown): ReturnType<typeof catalogOnly> {
  return classifyFsSignals(err, errorSignals(err), {}) ?? catalogOnly(err);
}

/** An error as one line, its code first when the message does not already say it. */
export function describeError(err: unknown): string {
  const code = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
  const msg = err instanceof Error ? err.message : String(err);
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg;
}
