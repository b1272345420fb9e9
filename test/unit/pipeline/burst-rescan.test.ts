import { expect } from 'chai';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { BurstRescan, DEFAULT_INOTIFY_QUEUE, inotifyQueueSize } from '../../../src/pipeline/burst-rescan.js';

/** Events at the given virtual times (ms) for the given directories; returns what was rescanned and when. */
function run(threshold: number, events: ReadonlyArray<readonly [atMs: number, dir: number]>, opts: { closeAtMs?: number } = {}) {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 1_000_000);
  const rescans: Array<{ at: number; dirs: readonly number[]; events: number }> = [];
  const b = new BurstRescan({ threshold, quietMs: 1000, now: () => scheduler.now(), scheduler, rescan: (dirs, n) => void rescans.push({ at: scheduler.now(), dirs, events: n }) });
  for (const [at, dir] of events) scheduler.schedule(() => b.note(dir), at);
  if (opts.closeAtMs !== undefined) scheduler.schedule(() => b.close(), opts.closeAtMs);
  scheduler.flush();
  return rescans;
}

const burst = (n: number, fromMs: number, everyMs: number, dir = 0) => Array.from({ length: n }, (_, i) => [fromMs + i * everyMs, dir] as const);

describe('pipeline/burst-rescan', () => {
  it('rescans every directory of a burst that reached the threshold, once it has been quiet for a second', () => {
    const rescans = run(100, [...burst(60, 0, 10, 0), ...burst(60, 5, 10, 2)]);
    expect(rescans).to.have.length(1);
    expect(rescans[0]!.dirs).to.have.members([0, 2]);
    expect(rescans[0]!.events).to.equal(120);
    // the last event at 595 ms, then a second without any
    expect(rescans[0]!.at).to.equal(1595);
  });

  it('does nothing after a burst below the threshold', () => {
    expect(run(100, burst(99, 0, 10))).to.deep.equal([]);
  });

  it('keeps a burst open while events keep arriving less than a second apart, however long it lasts', () => {
    // 50 events 900 ms apart: one burst of 45 s, not 50 bursts of one
    const rescans = run(50, burst(50, 0, 900));
    expect(rescans.map((r) => [r.at, r.events])).to.deep.equal([[49 * 900 + 1000, 50]]);
  });

  it('counts each burst on its own: two small bursts apart do not add up', () => {
    expect(run(100, [...burst(60, 0, 1), ...burst(60, 5000, 1)])).to.deep.equal([]);
    const two = run(50, [...burst(60, 0, 1, 1), ...burst(60, 5000, 1, 3)]);
    expect(two.map((r) => r.dirs)).to.deep.equal([[1], [3]]);
  });

  it('rescans nothing once closed', () => {
    expect(run(10, burst(20, 0, 1), { closeAtMs: 500 })).to.deep.equal([]);
  });

  it('refuses a threshold that is not a positive integer', () => {
    const scheduler = new VirtualTimeScheduler();
    expect(() => new BurstRescan({ threshold: 0, quietMs: 1, now: () => 0, scheduler, rescan: () => undefined })).to.throw(RangeError, /threshold/);
  });

  describe('inotifyQueueSize', () => {
    it('reads the kernel setting', () => {
      expect(inotifyQueueSize(() => '65536\n')).to.equal(65536);
    });

    it('falls back to the kernel default when the setting cannot be read or makes no sense', () => {
      expect(inotifyQueueSize(() => { throw new Error('ENOENT'); })).to.equal(DEFAULT_INOTIFY_QUEUE);
      expect(inotifyQueueSize(() => 'lots')).to.equal(DEFAULT_INOTIFY_QUEUE);
      expect(inotifyQueueSize(() => '0')).to.equal(DEFAULT_INOTIFY_QUEUE);
    });
  });
});
