import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryWatches } from '../../../src/pipeline/directory-watches.js';
import type { WatcherBackend } from '../../../src/pipeline/watch-source.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { ManualTimers } from '../../support/fakes.js';

/** Waits (generously: the machine may be loaded) for the awaited mkdir/stat/subscribe of a watch attempt. */
const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
};

describe('pipeline/directory-watches', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tvm-watches-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function setup(fail: (attempt: number) => Error | null) {
    const clock = new ManualTimers();
    let attempts = 0;
    let live = 0;
    const backend: WatcherBackend = {
      subscribe: async () => {
        const err = fail(++attempts);
        if (err) throw err;
        live++;
        return { unsubscribe: async () => void live-- };
      },
    };
    const events: TelemetryEvent[] = [];
    const telemetry = new Telemetry(silentLogger());
    telemetry.on((e) => events.push(e));
    const rescans: number[] = [];
    const w = new DirectoryWatches({
      clock, watcher: backend, telemetry, logger: silentLogger(), retryWatchSeconds: 60, rootCheckMs: 0,
      pathAt: (i) => (i === 0 ? join(root, 'ros') : null), slotCount: () => 1,
      onEvent: () => undefined, rescan: async (i) => void rescans.push(i),
    });
    return { w, clock, events, rescans, attempts: () => attempts, live: () => live };
  }

  it('tries a directory it cannot watch again every retry_watch period, whatever the error, and rescans it once watched', async () => {
    const errors = [Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), Object.assign(new Error('ENOSPC: inotify watches'), { code: 'ENOSPC' }), new Error('odd')];
    const s = setup((n) => errors[n - 1] ?? null);
    await s.w.watch(0);
    for (let n = 1; n <= 3; n++) {
      await until(() => s.clock.scheduled === 1, `retry ${n} to be armed`);
      expect(s.attempts(), `attempt ${n}`).to.equal(n);
      s.clock.advance(59_999);
      expect(s.attempts(), 'not before the period').to.equal(n);
      s.clock.advance(1);
      await until(() => s.attempts() === n + 1, `attempt ${n + 1}`);
    }
    await until(() => s.rescans.length === 1, 'the rescan once watched');
    expect(s.rescans).to.deep.equal([0]);
    expect(s.clock.scheduled, 'no retry once watched').to.equal(0);
    expect(s.events.filter((e) => e.type === 'watch.error')).to.have.length(3);
    s.w.close();
  });

  it('keeps one native watch when a second attempt starts while the first is still under way', async () => {
    // A retry timer and the root check can both start an attempt for one slot; the later wins.
    const s = setup(() => null);
    const first = s.w.watch(0);
    const second = s.w.watch(0);
    await Promise.all([first, second]);
    await until(() => s.attempts() >= 1 && s.live() <= 1, 'the superseded attempt to let go');
    await new Promise((r) => setTimeout(r, 20));
    expect(s.live(), 'native watches').to.equal(1);
    s.w.close();
    await until(() => s.live() === 0, 'close to end the watch');
  });

  it('cancels a pending retry on close', async () => {
    const s = setup(() => new Error('no'));
    await s.w.watch(0);
    expect(s.clock.scheduled).to.equal(1);
    s.w.close();
    expect(s.clock.scheduled).to.equal(0);
  });
});
