/**
 * One @parcel/watcher subscription per watched directory, exposed as an Observable of raw events.
 * It only reports what the OS said; filtering, stability and queueing happen downstream.
 * Watcher errors (inotify overflow, watch limits) are surfaced as 'overflow' events so the
 * pipeline can rescan instead of silently missing files.
 */
import watcher from '@parcel/watcher';
import { Observable } from 'rxjs';

export interface WatchEvent {
  readonly dirIndex: number;
  readonly type: 'create' | 'update' | 'delete' | 'overflow';
  readonly path: string;
}

/** The subset of @parcel/watcher the source uses, injectable for tests. */
export interface WatcherBackend {
  subscribe(
    dir: string,
    fn: (err: Error | null, events: Array<{ path: string; type: 'create' | 'update' | 'delete' }>) => unknown,
  ): Promise<{ unsubscribe(): Promise<void> }>;
}

export const parcelBackend: WatcherBackend = { subscribe: (dir, fn) => watcher.subscribe(dir, fn) };

/**
 * Subscribes and unsubscribes of one backend run one at a time, in call order. With
 * @parcel/watcher 2.6 on Linux, an unsubscribe of a just-deleted directory still in flight when
 * the next subscribe starts can take the new directory's watch with it: that directory silently
 * never reports again (measured: 10 lost of 600 subscribe → write → unsubscribe → rm cycles;
 * 0 of 600 serialised). Root re-watch after `rosclean purge`, a reload, and a restart in the
 * same process all do exactly that.
 */
const chains = new WeakMap<WatcherBackend, Promise<unknown>>();
function serially<T>(backend: WatcherBackend, op: () => Promise<T>): Promise<T> {
  const run = (chains.get(backend) ?? Promise.resolve()).then(op);
  chains.set(backend, run.catch(() => undefined));
  return run;
}

/**
 * Emits the events of one directory. Subscribing is asynchronous: `ready` resolves once the OS
 * watch is in place (the startup scan must begin after that, so nothing created in between is
 * missed) or rejects with the reason the directory cannot be watched.
 */
export function watchDirectory(
  dirIndex: number,
  dir: string,
  backend: WatcherBackend = parcelBackend,
): { events$: Observable<WatchEvent>; ready: Promise<void> } {
  let resolveReady!: () => void;
  let rejectReady!: (err: unknown) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  const events$ = new Observable<WatchEvent>((subscriber) => {
    let sub: { unsubscribe(): Promise<void> } | null = null;
    let closed = false;
    serially(backend, () =>
      backend.subscribe(dir, (err, events) => {
        if (err) {
          subscriber.next({ dirIndex, type: 'overflow', path: dir });
          return;
        }
        for (const e of events) subscriber.next({ dirIndex, type: e.type, path: e.path });
      }),
    ).then(
      (s) => {
        if (closed) {
          void serially(backend, () => s.unsubscribe()).catch(() => undefined);
          return;
        }
        sub = s;
        resolveReady();
      },
      (err: unknown) => {
        rejectReady(err);
        subscriber.error(err);
      },
    );
    return () => {
      closed = true;
      const s = sub;
      if (s) void serially(backend, () => s.unsubscribe()).catch(() => undefined);
    };
  });
  return { events$, ready };
}
