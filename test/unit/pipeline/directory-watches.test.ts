import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirectoryWatches } from '../../../src/pipeline/directory-watches.js';
import type { WatcherBackend } from '../../../src/pipeline/watch-source.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { ManualTimers } from '../../support/fakes.js';

/** Lets the awaited mkdir/stat/subscribe of a watch attempt finish. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

describe('pipeline/directory-watches', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tvm-watches-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function setup(fail: (attempt: number) => Error | null) {
    const clock = new ManualTimers();
    let attempts = 0;
    const backend: WatcherBackend = {
      subscribe: async () => {
        const err = fail(++attempts);
        if (err) throw err;
        return { unsubscribe: async () => undefined };
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
    return { w, clock, events, rescans, attempts: () => attempts };
  }

  it('tries a directory it cannot watch again every retry_watch period, whatever the error, and rescans it once watched', async () => {
    const errors = [Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), Object.assign(new Error('ENOSPC: inotify watches'), { code: 'ENOSPC' }), new Error('odd')];
    const s = setup((n) => errors[n - 1] ?? null);
    await s.w.watch(0);
    for (let n = 1; n <= 3; n++) {
      expect(s.attempts(), `attempt ${n}`).to.equal(n);
      s.clock.advance(59_999);
      await settle();
      expect(s.attempts(), 'not before the period').to.equal(n);
      s.clock.advance(1);
      await settle();
    }
    expect(s.attempts()).to.equal(4);
    expect(s.rescans).to.deep.equal([0]);
    expect(s.clock.scheduled, 'no retry once watched').to.equal(0);
    expect(s.events.filter((e) => e.type === 'watch.error')).to.have.length(3);
    s.w.close();
  });

  it('cancels a pending retry on close', async () => {
    const s = setup(() => new Error('no'));
    await s.w.watch(0);
    expect(s.clock.scheduled).to.equal(1);
    s.w.close();
    expect(s.clock.scheduled).to.equal(0);
  });
});
