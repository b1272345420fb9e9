/**
 * The stability operator: a path enters on every watcher event (or scan hit) and leaves once as a
 * Ready file when its size AND mtime have not changed for `stableMs`. Each new event for a path
 * restarts its quiet period; a path that disappears or stops being a regular file is dropped.
 *
 * Time comes from an RxJS scheduler and the file system from a StatProbe, so tests run in virtual
 * time. Memory is one small record per path that is currently changing; nothing per stable file.
 *
 *   event ─► stat ─► (mtime older than stableMs?) ─yes─► emit
 *                          │no
 *                          ▼
 *                 wait stableMs ─► stat ─► same size+mtime? ─yes─► emit
 *                          ▲                     │no
 *                          └─────────────────────┘
 */
import { Observable, asyncScheduler, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { FileStat, StatProbe } from './stat-probe.js';

export interface Candidate {
  readonly path: string;
  readonly dirIndex: number;
  readonly source: string;
  readonly relPath: string;
}

export interface ReadyFile extends Candidate, FileStat {}

interface Tracked {
  candidate: Candidate;
  seen: FileStat | null;
  timer: Subscription | null;
  /** Bumped on every event so a probe that resolves late cannot act on stale state. */
  generation: number;
}

export interface StabilizeOptions {
  readonly stableMs: number;
  readonly probe: StatProbe;
  readonly scheduler?: SchedulerLike;
}

export function stabilize(options: StabilizeOptions): OperatorFunction<Candidate, ReadyFile> {
  const { stableMs, probe } = options;
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<ReadyFile>((subscriber) => {
      const tracked = new Map<string, Tracked>();

      const settle = (value: FileStat | null | Promise<FileStat | null>, then: (s: FileStat | null) => void): void => {
        if (value instanceof Promise) {
          value.then(then, () => then(null));
        } else {
          then(value);
        }
      };

      const drop = (path: string): void => {
        const t = tracked.get(path);
        t?.timer?.unsubscribe();
        tracked.delete(path);
      };

      const emit = (t: Tracked, st: FileStat): void => {
        drop(t.candidate.path);
        subscriber.next({ ...t.candidate, size: st.size, mtimeMs: st.mtimeMs });
      };

      const check = (t: Tracked, generation: number): void => {
        settle(probe(t.candidate.path), (st) => {
          if (tracked.get(t.candidate.path) !== t || t.generation !== generation) return;
          if (st === null) return drop(t.candidate.path);
          if (t.seen && t.seen.size === st.size && t.seen.mtimeMs === st.mtimeMs) return emit(t, st);
          t.seen = st;
          wait(t, generation);
        });
      };

      const wait = (t: Tracked, generation: number): void => {
        t.timer?.unsubscribe();
        t.timer = scheduler.schedule(() => {
          t.timer = null;
          check(t, generation);
        }, stableMs);
      };

      const onEvent = (c: Candidate): void => {
        let t = tracked.get(c.path);
        if (!t) {
          t = { candidate: c, seen: null, timer: null, generation: 0 };
          tracked.set(c.path, t);
        }
        t.candidate = c;
        const generation = ++t.generation;
        const current = t;
        settle(probe(c.path), (st) => {
          if (tracked.get(c.path) !== current || current.generation !== generation) return;
          if (st === null) return drop(c.path);
          // mtime moves on every write, so a file whose mtime is already older than the quiet period
          // (a scanned file, a rename of an old file) has been stable that long: no need to wait.
          if (scheduler.now() - st.mtimeMs >= stableMs && (!current.seen || sameStat(current.seen, st))) {
            return emit(current, st);
          }
          current.seen = st;
          wait(current, generation);
        });
      };

      const sub = source.subscribe({
        next: onEvent,
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          // Let files already in their quiet period finish, then complete.
          const finish = (): void => {
            if (tracked.size === 0) subscriber.complete();
            else pending = scheduler.schedule(finish, Math.max(stableMs, 1));
          };
          let pending: Subscription = scheduler.schedule(finish, 0);
          subscriber.add(() => pending.unsubscribe());
        },
      });

      return () => {
        sub.unsubscribe();
        for (const t of tracked.values()) t.timer?.unsubscribe();
        tracked.clear();
      };
    });
}

function sameStat(a: FileStat, b: FileStat): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}
