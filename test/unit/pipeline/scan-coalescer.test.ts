import { expect } from 'chai';
import { ScanCoalescer, type ScanKind } from '../../../src/pipeline/scan-coalescer.js';

/** A scan runner whose scans finish only when the test says so. */
function runner() {
  const runs: Array<{ kind: ScanKind; notBeforeMs: number | null; finish: () => void }> = [];
  let running = 0;
  let maxRunning = 0;
  const run = (kind: ScanKind, notBeforeMs: number | null): Promise<void> =>
    new Promise<void>((resolve) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs.push({ kind, notBeforeMs, finish: () => (running--, resolve()) });
    });
  return { runs, run, maxRunning: () => maxRunning };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('pipeline/scan-coalescer', () => {
  it('runs one scan at a time and answers a burst of requests with one follow-up scan', async () => {
    const r = runner();
    const c = new ScanCoalescer(r.run);
    const first = c.request('rescan', 500);
    const burst = Array.from({ length: 50 }, (_, i) => c.request('rescan', i % 2 === 0 ? 100 : 300));
    expect(r.runs).to.have.length(1);
    r.runs[0]!.finish();
    await first;
    await tick();
    expect(r.runs).to.have.length(2);
    expect(r.runs[1]!.notBeforeMs, 'the follow-up covers the widest request').to.equal(100);
    let settled = 0;
    for (const p of burst) void p.then(() => settled++);
    await tick();
    expect(settled).to.equal(0);
    r.runs[1]!.finish();
    await Promise.all(burst);
    expect(r.runs).to.have.length(2);
    expect(r.maxRunning()).to.equal(1);
    expect(c.busy).to.equal(false);
  });

  it('widens the follow-up to no age limit and to a startup scan when any request asks for it', async () => {
    const r = runner();
    const c = new ScanCoalescer(r.run);
    void c.request('rescan', 10);
    const a = c.request('rescan', 5);
    void c.request('startup', null);
    r.runs[0]!.finish();
    await tick();
    expect(r.runs[1]).to.deep.include({ kind: 'startup', notBeforeMs: null });
    r.runs[1]!.finish();
    await a;
  });

  it('keeps serving requests after a scan fails', async () => {
    let calls = 0;
    const c = new ScanCoalescer(async () => {
      calls++;
      if (calls === 1) throw new Error('EACCES');
    });
    await c.request('rescan', null);
    await c.request('rescan', null);
    expect(calls).to.equal(2);
  });
});
