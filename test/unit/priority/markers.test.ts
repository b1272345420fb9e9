import { expect } from 'chai';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { addMarker, markerFor, parseDuration, readMarkers, MARKERS_META_KEY, type Marker } from '../../../src/priority/markers.js';
import { MarkerBook } from '../../../src/priority/marker-book.js';
import { markCommand } from '../../../src/cli/mark.js';
import { runCli } from '../../../src/cli/program.js';
import { MetaRepo } from '../../../src/state/meta-repo.js';
import { openStateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { input, removeDir, tempDir, useFreshStore } from '../state/helpers.js';
import { minimal } from '../config/helpers.js';
import { MemoryStore } from './memory-store.js';
import { monthOf } from '../../../src/link/cellular-budget.js';


const marker = (at: number, from: number, to: number, reason = 'r'): Marker => ({ at, reason, from, to });

describe('priority/markers', () => {
  it('finds the newest marker whose window holds the mtime, edges included', () => {
    const ms = [marker(100, 50, 150, 'old'), marker(200, 140, 260, 'new')];
    expect(markerFor(ms, 50)?.reason).to.equal('old');
    expect(markerFor(ms, 145)?.reason).to.equal('new');
    expect(markerFor(ms, 260)?.reason).to.equal('new');
    expect(markerFor(ms, 261)).to.equal(null);
    expect(markerFor(ms, 49)).to.equal(null);
  });

  it('keeps markers in the store, drops ones that ended over 30 days ago and keeps at most 200', () => {
    const s = new MemoryStore();
    const day = 86_400_000;
    addMarker(s, marker(0, 0, 10), 0);
    addMarker(s, marker(40 * day, 40 * day, 40 * day), 40 * day);
    expect(readMarkers(s).map((m) => m.at)).to.deep.equal([40 * day]);
    for (let i = 1; i <= 250; i++) addMarker(s, marker(40 * day + i, 0, 41 * day), 40 * day);
    const kept = readMarkers(s);
    expect(kept).to.have.length(200);
    expect(kept.at(-1)?.at).to.equal(40 * day + 250);
  });

  it('reads a damaged value as no markers and skips malformed entries', () => {
    const s = new MemoryStore();
    s.set(MARKERS_META_KEY, '{nope');
    expect(readMarkers(s)).to.deep.equal([]);
    s.set(MARKERS_META_KEY, JSON.stringify([{ at: 1 }, marker(1, 2, 3), 'x', null]));
    expect(readMarkers(s)).to.deep.equal([marker(1, 2, 3)]);
    s.set(MARKERS_META_KEY, '{}');
    expect(readMarkers(s)).to.deep.equal([]);
  });

  it('parses durations in s, m, h, d or bare seconds', () => {
    expect(parseDuration('90s')).to.equal(90_000);
    expect(parseDuration('10m')).to.equal(600_000);
    expect(parseDuration('2H')).to.equal(7_200_000);
    expect(parseDuration('1d')).to.equal(86_400_000);
    expect(parseDuration('30')).to.equal(30_000);
    for (const bad of ['', 'm', '1.5m', '-1m', '10 minutes']) expect(parseDuration(bad), bad).to.equal(null);
  });
});

describe('priority/marker-book', () => {
  const store = useFreshStore();

  it('turns a queued marker file into a marker that raises the queued files in its window', () => {
    const t = 1_000_000;
    const s = store();
    const book = new MarkerBook(s.db, s.meta, () => t);
    s.files.enqueue(input({ path: '/l/old', mtimeMs: t - 20 * 60_000 }), 1);
    s.files.enqueue(input({ path: '/l/near', mtimeMs: t - 60_000 }), 1);
    const cfg = { pattern: '*.incident', beforeMs: 10 * 60_000, afterMs: 5 * 60_000 };
    expect(book.onQueued('/l/near', cfg)).to.equal(null);
    expect(book.onQueued('/l/x.incident', undefined)).to.equal(null);
    const set = book.onQueued('/l/brake.incident', cfg)!;
    expect(set.raised).to.equal(1);
    expect(s.files.getByPath('/l/near')?.priority).to.equal(0);
    expect(s.files.getByPath('/l/old')?.priority).to.equal(1);
    expect(book.marked(t + 4 * 60_000)).to.equal(true);
    expect(book.marked(t + 6 * 60_000)).to.equal(false);
    const meta = book.withMarker({ a: 'b' }, t);
    expect(meta).to.deep.include({ a: 'b', 'incident-marker-at': new Date(t).toISOString(), 'incident-marker-reason': encodeURIComponent('marker file /l/brake.incident') });
    expect(book.withMarker({ a: 'b' }, 0)).to.deep.equal({ a: 'b' });
    expect(book.withMarker({ big: 'x'.repeat(2000) }, t)).to.deep.equal({ big: 'x'.repeat(2000) }); // would not fit in 2 KiB
  });

  it('sees a marker written by another connection within a second', () => {
    let t = 5_000_000;
    const s = store();
    const book = new MarkerBook(s.db, s.meta, () => t);
    expect(book.marked(t)).to.equal(false);
    addMarker(s.meta, marker(t, t - 1, t + 1), t);
    expect(book.marked(t)).to.equal(false); // cached
    t += 1000;
    expect(book.marked(t - 1000)).to.equal(true);
  });

  it('sees at once a marker the mark command commits from another connection (the raised file may be claimed next)', () => {
    const t = 5_000_000;
    const s = store();
    const book = new MarkerBook(s.db, s.meta, () => t);
    expect(book.withMarker({}, t)).to.deep.equal({});
    const other = new Database(s.dbPath);
    try {
      addMarker(new MetaRepo(other, s.dbPath), marker(t, t - 1, t + 1), t);
    } finally {
      other.close();
    }
    expect(book.withMarker({}, t)).to.have.property('incident-marker-at', new Date(t).toISOString());
  });
});

describe('cli/mark', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  const io = () => ({ out: (s: string) => void out.push(s), err: (s: string) => void err.push(s), env: {} });

  beforeEach(() => {
    dir = tempDir('tvm-mark-');
    out = [];
    err = [];
    writeFileSync(join(dir, 'config.yaml'), stringify({ ...minimal(), state_dir: join(dir, 'state') }));
  });
  afterEach(() => removeDir(dir));

  it('records the marker and raises queued files in the window, beside an open store', async () => {
    const store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
    try {
      const now = 10_000_000;
      store.files.enqueue(input({ path: '/l/in', mtimeMs: now - 5 * 60_000 }), 1);
      store.files.enqueue(input({ path: '/l/out', mtimeMs: now - 30 * 60_000 }), 1);
      const code = await markCommand(io(), { config: join(dir, 'config.yaml'), reason: 'hard brake', before: '10m', after: '5m' }, () => now);
      expect(code, err.join()).to.equal(0);
      expect(out.join()).to.contain('"hard brake"').and.contain('1 queued file(s) raised');
      expect(store.files.getByPath('/l/in')?.priority).to.equal(0);
      expect(store.files.getByPath('/l/out')?.priority).to.equal(1);
      expect(readMarkers(store.meta)).to.deep.equal([{ at: now, reason: 'hard brake', from: now - 600_000, to: now + 300_000 }]);
    } finally {
      store.close();
    }
  });

  it('names a malformed duration and a missing database', async () => {
    expect(await runCli(['mark', '--config', join(dir, 'config.yaml'), '--before', '10 minutes'], io())).to.equal(2);
    expect(err.join()).to.contain('--before "10 minutes" is not a duration');
    err = [];
    expect(await runCli(['mark', '--config', join(dir, 'config.yaml')], io())).to.equal(1);
    expect(err.join()).to.contain('no state database at');
  });
});

describe('status: queue by priority, link and cellular budget', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('tvm-status17-');
    writeFileSync(join(dir, 'config.yaml'), stringify({ ...minimal(), state_dir: join(dir, 'state') }));
  });
  afterEach(() => removeDir(dir));

  it('shows them as text and JSON when in use, and nothing new when not', async () => {
    const store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
    store.files.enqueue(input({ path: '/l/n', size: 7 }), 1);
    const run = async (...args: string[]) => {
      const out: string[] = [];
      expect(await runCli(['status', '--config', join(dir, 'config.yaml'), ...args], { out: (s) => void out.push(s), err: () => undefined, env: {} })).to.equal(0);
      return out.join('\n');
    };
    expect(await run()).to.not.contain('priority:').and.not.contain('link:').and.not.contain('cellular:').and.not.contain('bandwidth:');
    // The same store with upload.links configured (which implies priorities).
    const links = { route_file: join(dir, 'route'), cellular_budget_mb_per_month: 1 };
    writeFileSync(join(dir, 'config.yaml'), stringify({ ...minimal(), state_dir: join(dir, 'state'), upload: { ...(minimal().upload as object), links } }));
    store.files.enqueue(input({ path: '/l/h', size: 3, priority: 0 }), 1);
    store.meta.set('link_state', JSON.stringify({ link: 'cellular', iface: 'wwan0', restriction: 'cellular policy: high and above', bytesPerSecond: 250_000, lastProbeAt: 0, lastProbeError: null, at: 0 }));
    store.meta.set('cellular_budget', JSON.stringify({ month: monthOf(Date.now()), bytes: 4096 }));
    const text = await run();
    expect(text).to.contain('priority:  high 1 (3 B), normal 1 (7 B), low 0 (0 B) queued');
    expect(text).to.contain('link:      cellular (wwan0), cellular policy: high and above; probed 1970-01-01T00:00:00.000Z');
    expect(text).to.contain(`cellular:  4.0 KiB used in ${monthOf(Date.now())} of 976.6 KiB, 972.6 KiB left (every priority may use cellular)`);
    expect(text).to.contain('bandwidth: 2.00 Mbit/s (244.1 KiB/s)');
    const json = JSON.parse(await run('--json')) as Record<string, unknown>;
    expect(json).to.deep.include({ queueByPriority: { high: { files: 1, bytes: 3 }, normal: { files: 1, bytes: 7 }, low: { files: 0, bytes: 0 } } });
    expect(json.cellularBudget).to.deep.equal({ month: monthOf(Date.now()), usedBytes: 4096, limitBytes: 1_000_000, leftBytes: 1_000_000 - 4096, level: 'ok' });
    expect(json.bandwidth).to.deep.equal({ bytesPerSecond: 250_000 });
    expect(json.link).to.deep.include({ link: 'cellular', iface: 'wwan0', lastProbeError: null });
    store.close();
  });
});
