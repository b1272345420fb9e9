import { expect } from 'chai';
import { Subject, VirtualTimeScheduler, VirtualAction } from 'rxjs';
import { stabilize, type Candidate, type ReadyFile } from '../../../src/pipeline/stabilize.js';
import type { FileStat } from '../../../src/pipeline/stat-probe.js';

/** A scripted world: a fake file system whose writes and watcher events happen at virtual times. */
function world(stableMs: number, opts: { asyncProbe?: boolean } = {}) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 10_000_000);
  const fs = new Map<string, FileStat>();
  const events = new Subject<Candidate>();
  const ready: Array<ReadyFile & { at: number }> = [];
  let probes = 0;
  const probe = (path: string): FileStat | null | Promise<FileStat | null> => {
    probes++;
    const v = fs.get(path) ?? null;
    return opts.asyncProbe ? Promise.resolve(v) : v;
  };
  let completed = false;
  events.pipe(stabilize({ stableMs, probe, scheduler })).subscribe({
    next: (r) => ready.push({ ...r, at: scheduler.now() }),
    complete: () => (completed = true),
  });
  const cand = (path: string): Candidate => ({ path, dirIndex: 0, source: 'ros', relPath: path.slice(1) });
  return {
    scheduler,
    ready,
    get probes() {
      return probes;
    },
    get completed() {
      return completed;
    },
    /** At virtual time t, the file gets `size` bytes (mtime = t) and the watcher reports it. */
    write(t: number, path: string, size: number) {
      scheduler.schedule(() => {
        fs.set(path, { size, mtimeMs: t });
        events.next(cand(path));
      }, t);
    },
    remove(t: number, path: string) {
      scheduler.schedule(() => fs.delete(path), t);
    },
    /** At virtual time t the file changes with no watcher event (an event lost or coalesced). */
    silently(t: number, path: string, size: number, mtimeMs: number) {
      scheduler.schedule(() => fs.set(path, { size, mtimeMs }), t);
    },
    exists(path: string, size: number, mtimeMs: number) {
      fs.set(path, { size, mtimeMs });
    },
    event(t: number, path: string) {
      scheduler.schedule(() => events.next(cand(path)), t);
    },
    end(t: number) {
      scheduler.schedule(() => events.complete(), t);
    },
  };
}

describe('pipeline/stabilize (virtual time)', () => {
  it('emits a file written once after it has been quiet for the stability period', () => {
    const w = world(60_000);
    w.write(1000, '/a.log', 10);
    w.scheduler.flush();
    expect(w.ready).to.have.length(1);
    expect(w.ready[0]).to.include({ path: '/a.log', size: 10, mtimeMs: 1000, at: 61_000 });
  });

  it('keeps a file that is still growing out until it pauses', () => {
    const w = world(5000);
    for (let t = 0; t <= 20_000; t += 1000) w.write(t, '/grow.log', t + 1);
    w.scheduler.flush();
    expect(w.ready).to.have.length(1);
    expect(w.ready[0]!.size).to.equal(20_001);
    expect(w.ready[0]!.at).to.be.at.least(25_000);
  });

  it('treats an mtime change with the same size as a change', () => {
    const w = world(5000);
    w.write(0, '/same.log', 100);
    w.write(4000, '/same.log', 100); // rewritten in place, same length
    w.scheduler.flush();
    expect(w.ready).to.have.length(1);
    expect(w.ready[0]!.mtimeMs).to.equal(4000);
    expect(w.ready[0]!.at).to.be.at.least(9000);
  });

  it('without a watcher event, still sees a file that grew within its mtime granularity', () => {
    // Coarse timestamps (1 s, 2 s on FAT): the file grows and its mtime does not move.
    const w = world(5000);
    w.write(0, '/coarse.log', 100);
    w.silently(3000, '/coarse.log', 250, 0);
    w.scheduler.flush();
    expect(w.ready).to.have.length(1);
    expect(w.ready[0]!.size).to.equal(250);
    expect(w.ready[0]!.at, 'a second full quiet period after the size changed').to.equal(10_000);
  });

  it('without a watcher event, still sees a rewrite of the same length', () => {
    const w = world(5000);
    w.write(0, '/rewrite.log', 100);
    w.silently(3000, '/rewrite.log', 100, 3000);
    w.scheduler.flush();
    expect(w.ready).to.have.length(1);
    expect(w.ready[0]!.mtimeMs).to.equal(3000);
    expect(w.ready[0]!.at).to.equal(10_000);
  });

  it('drops a file deleted during its quiet period', () => {
    const w = world(5000);
    w.write(0, '/gone.log', 5);
    w.remove(2000, '/gone.log');
    w.scheduler.flush();
    expect(w.ready).to.have.length(0);
  });

  it('emits at once a file whose mtime is already older than the stability period', () => {
    const w = world(60_000);
    w.exists('/old.log', 42, 0);
    w.event(500_000, '/old.log');
    w.scheduler.flush();
    expect(w.ready).to.have.length(1);
    expect(w.ready[0]!.at).to.equal(500_000);
  });

  it('emits each stable file once even when events repeat', () => {
    const w = world(1000);
    w.write(0, '/x.log', 1);
    w.event(100, '/x.log');
    w.event(200, '/x.log');
    w.scheduler.flush();
    expect(w.ready).to.have.length(1);
  });

  it('accepts a stability period of zero without spinning', () => {
    const w = world(0);
    w.write(10, '/zero.log', 3);
    w.scheduler.flush();
    expect(w.ready).to.have.length(1);
    expect(w.probes).to.be.at.most(3);
  });

  it('handles fractional stability periods', () => {
    const w = world(2500);
    w.write(0, '/frac.log', 3);
    w.scheduler.flush();
    expect(w.ready[0]!.at).to.equal(2500);
  });

  it('tracks many files independently', () => {
    const w = world(1000);
    for (let i = 0; i < 100; i++) w.write(i * 10, `/f${i}.log`, i + 1);
    w.scheduler.flush();
    expect(new Set(w.ready.map((r) => r.path)).size).to.equal(100);
  });

  it('completes after files in their quiet period have been emitted', () => {
    const w = world(1000);
    w.write(0, '/last.log', 1);
    w.end(10);
    w.scheduler.flush();
    expect(w.ready).to.have.length(1);
    expect(w.completed).to.equal(true);
  });

  it('works with an asynchronous probe', async () => {
    const w = world(0, { asyncProbe: true });
    w.exists('/async.log', 7, 0);
    w.event(1, '/async.log');
    w.scheduler.flush();
    await new Promise((r) => setImmediate(r));
    expect(w.ready.map((r) => r.path)).to.deep.equal(['/async.log']);
  });

  it('ignores a path that is not a regular file (probe returns null)', () => {
    const w = world(10);
    w.event(0, '/a-directory');
    w.scheduler.flush();
    expect(w.ready).to.have.length(0);
  });
});
