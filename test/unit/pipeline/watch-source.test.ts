/**
 * watchDirectory's ordering of OS watch operations: a subscribe never overtakes an unsubscribe
 * still in flight (on Linux the old watch's number may already belong to the new directory).
 */
import { expect } from 'chai';
import { watchDirectory, type WatcherBackend } from '../../../src/pipeline/watch-source.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A backend that logs every call and lets the test decide when each unsubscribe finishes. */
function recordingBackend(): { backend: WatcherBackend; calls: string[]; unsubscribes: Deferred[] } {
  const calls: string[] = [];
  const unsubscribes: Deferred[] = [];
  const backend: WatcherBackend = {
    subscribe: (dir) => {
      calls.push(`subscribe ${dir}`);
      return Promise.resolve({
        unsubscribe: () => {
          calls.push(`unsubscribe ${dir}`);
          const d = deferred();
          unsubscribes.push(d);
          return d.promise;
        },
      });
    },
  };
  return { backend, calls, unsubscribes };
}

describe('watchDirectory', () => {
  it('starts a new watch only after the unsubscribe of a previous one has finished', async () => {
    const { backend, calls, unsubscribes } = recordingBackend();
    const a = watchDirectory(0, '/logs/a', backend);
    const subA = a.events$.subscribe();
    await a.ready;
    subA.unsubscribe();
    const b = watchDirectory(1, '/logs/b', backend);
    const subB = b.events$.subscribe();
    await settle();
    expect(calls).to.deep.equal(['subscribe /logs/a', 'unsubscribe /logs/a']);
    unsubscribes[0]!.resolve();
    await b.ready;
    expect(calls).to.deep.equal(['subscribe /logs/a', 'unsubscribe /logs/a', 'subscribe /logs/b']);
    subB.unsubscribe();
  });

  it('goes on with the next watch when an unsubscribe fails (the directory was already gone)', async () => {
    const calls: string[] = [];
    const backend: WatcherBackend = {
      subscribe: (dir) => {
        calls.push(`subscribe ${dir}`);
        return Promise.resolve({ unsubscribe: () => Promise.reject(new Error('Unable to remove watcher: Invalid argument')) });
      },
    };
    const a = watchDirectory(0, '/logs/a', backend);
    a.events$.subscribe().unsubscribe();
    const b = watchDirectory(1, '/logs/b', backend);
    const subB = b.events$.subscribe();
    await b.ready;
    expect(calls).to.deep.equal(['subscribe /logs/a', 'subscribe /logs/b']);
    subB.unsubscribe();
  });

  it('reports a directory that cannot be watched through ready, and a later watch still starts', async () => {
    let fail = true;
    const backend: WatcherBackend = {
      subscribe: () => (fail ? Promise.reject(new Error('ENOENT')) : Promise.resolve({ unsubscribe: () => Promise.resolve() })),
    };
    const a = watchDirectory(0, '/missing', backend);
    a.events$.subscribe({ error: () => undefined });
    let reason: unknown = null;
    await a.ready.catch((err: unknown) => (reason = err));
    expect((reason as Error).message).to.equal('ENOENT');
    fail = false;
    const b = watchDirectory(1, '/logs/b', backend);
    const subB = b.events$.subscribe();
    await b.ready;
    subB.unsubscribe();
  });
});
