import { expect } from 'chai';
import { LinkController } from '../../../src/link/link-controller.js';
import type { LinkDecision } from '../../../src/link/link-policy.js';
import type { ProbeIo } from '../../../src/link/link-probe.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import Database from 'better-sqlite3';
import { liveLinkStatusFields, readLinkStatusFields } from '../../../src/link/status-fields.js';
import { ManualTimers } from '../../support/fakes.js';
import { migratedDb } from '../state/helpers.js';
import { parse } from '../config/helpers.js';

const HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
const route = (iface: string) => `${HEADER}${iface}\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n`;

class FakeIo implements ProbeIo {
  table = route('wlan0');
  commandOut: string | Error = 'wifi\n';
  reads = 0;
  readFile() {
    this.reads++;
    return Promise.resolve(this.table);
  }
  run() {
    return this.commandOut instanceof Error ? Promise.reject(this.commandOut) : Promise.resolve(this.commandOut);
  }
}

class FakeThrottle {
  bytesPerSecond: number | null = null;
  readonly rates: (number | null)[] = [];
  setRate(r: number | null) {
    this.bytesPerSecond = r;
    this.rates.push(r);
  }
}

const flush = () => new Promise((r) => setImmediate(r));
const MB = 1e6;

function setup(upload: Record<string, unknown>, start = new Date(2026, 11, 7, 12).getTime()) {
  const timers = new ManualTimers(start);
  const io = new FakeIo();
  const throttle = new FakeThrottle();
  const meta = new Map<string, string>();
  const changes: { decision: LinkDecision; tightened: boolean }[] = [];
  const config = parse({ upload });
  const c = new LinkController({
    config,
    budgetStore: { get: (k) => meta.get(k) ?? null, set: (k, v) => void meta.set(k, v) },
    throttle,
    logger: silentLogger(),
    timers,
    io,
    onChange: (decision, tightened) => changes.push({ decision, tightened }),
  });
  return { c, timers, io, throttle, changes, meta };
}

const POLICY = {
  links: {
    route_file: '/fake/route',
    probe_interval_seconds: 5,
    policy: { cellular: { min_priority: 'high', bandwidth: 2 } },
    cellular_budget_mb_per_month: 100,
  },
};

describe('link/link-controller', () => {
  it('does nothing beyond max_mbps when no link key is set', async () => {
    const s = setup({ bandwidth: { max_mbps: 8 } });
    await s.c.start();
    expect(s.c.admit()).to.equal(2);
    expect(s.throttle.rates).to.deep.equal([1_000_000]);
    expect(s.timers.scheduled).to.equal(0);
    expect(s.io.reads).to.equal(0);
    expect(s.c.status().link).to.equal(null);
  });

  it('stops normal uploads within one probe interval of Wi-Fi giving way to LTE, and caps the rate', async () => {
    const s = setup(POLICY);
    await s.c.start();
    expect(s.c.status()).to.deep.include({ link: 'wifi', iface: 'wlan0', restriction: null, bytesPerSecond: null });
    expect(s.c.admit()).to.equal(2);
    s.io.table = route('wwan0');
    s.timers.advance(5000);
    await flush();
    expect(s.c.admit()).to.equal(0);
    expect(s.c.status()).to.deep.include({ link: 'cellular', iface: 'wwan0', bytesPerSecond: 250_000 });
    expect(s.changes.at(-1)).to.deep.include({ tightened: true });
    s.io.table = route('wlan0');
    s.timers.advance(5000);
    await flush();
    expect(s.c.admit()).to.equal(2);
    expect(s.changes.at(-1)).to.deep.include({ tightened: false });
    expect(s.throttle.bytesPerSecond).to.equal(null);
  });

  it('meters bytes only over cellular and closes cellular at 80 % and 100 % of the budget', async () => {
    const s = setup({ links: { ...POLICY.links, policy: { cellular: { min_priority: 'low' } } } });
    await s.c.start();
    s.c.recordBytes(90 * MB); // over Wi-Fi: not metered
    expect(s.c.status().budget).to.deep.include({ usedBytes: 0 });
    s.io.table = route('wwan0');
    s.timers.advance(5000);
    await flush();
    expect(s.c.admit()).to.equal(2);
    s.c.recordBytes(80 * MB);
    expect(s.c.admit()).to.equal(0);
    s.c.recordBytes(20 * MB);
    expect(s.c.admit()).to.equal(null);
    expect(s.c.status().budget).to.deep.include({ usedBytes: 100 * MB, leftBytes: 0, level: 'exhausted' });
    s.c.close();
    expect(JSON.parse(s.meta.get('cellular_budget')!)).to.deep.include({ bytes: 100 * MB });
  });

  it('re-probes soon after an upload error, at most once per burst', async () => {
    const s = setup(POLICY);
    await s.c.start();
    const before = s.io.reads;
    s.timers.advance(3000);
    s.c.probeSoon();
    s.c.probeSoon();
    await flush();
    expect(s.io.reads).to.equal(before + 1);
    s.c.probeSoon(); // just probed
    await flush();
    expect(s.io.reads).to.equal(before + 1);
  });

  it('keeps the last link when the route file cannot be read, and reports why', async () => {
    const s = setup(POLICY);
    await s.c.start();
    s.io.readFile = () => Promise.reject(new Error('ENOENT: no such file'));
    s.timers.advance(5000);
    await flush();
    expect(s.c.status()).to.deep.include({ link: 'wifi' });
    expect(s.c.status().lastProbeError).to.contain('upload.links.route_file /fake/route').and.contain('ENOENT');
  });

  it('takes the link from probe_command: a link name or an interface name', async () => {
    const s = setup({ links: { ...POLICY.links, probe_command: 'which-link' } });
    await s.c.start();
    expect(s.c.status().link).to.equal('wifi');
    s.io.commandOut = 'rmnet_data0\n';
    s.timers.advance(5000);
    await flush();
    expect(s.c.status()).to.deep.include({ link: 'cellular', iface: 'rmnet_data0' });
    s.io.commandOut = new Error('exit 1');
    s.timers.advance(5000);
    await flush();
    expect(s.c.status().lastProbeError).to.contain('probe_command');
  });

  it('treats an unmapped interface as cellular and an operator mapping first', async () => {
    const s = setup({ links: { ...POLICY.links, interfaces: { 'tun*': 'wifi' } } });
    s.io.table = route('tun0');
    await s.c.start();
    expect(s.c.status().link).to.equal('wifi');
    s.io.table = route('vpn7');
    s.timers.advance(5000);
    await flush();
    expect(s.c.status().link).to.equal('cellular');
  });

  it('applies the timetable live as the clock crosses each boundary, lower than max_mbps wins', async () => {
    const s = setup({ bandwidth: { max_mbps: 8, schedule: ['08:00,512k', '18:00,4M', '23:00,off'] } }, new Date(2026, 11, 7, 17, 0).getTime());
    await s.c.start();
    expect(s.throttle.bytesPerSecond).to.equal(512 * 1024);
    s.timers.advance(60 * 60 * 1000); // 18:00
    expect(s.throttle.bytesPerSecond).to.equal(1_000_000); // 4 MiB/s, but max_mbps 8 = 1 MB/s is lower
    s.timers.advance(5 * 60 * 60 * 1000); // 23:00
    expect(s.throttle.bytesPerSecond).to.equal(1_000_000);
    s.timers.advance(9 * 60 * 60 * 1000); // 08:00 next day
    expect(s.throttle.bytesPerSecond).to.equal(512 * 1024);
  });

  it('applies the timetable entry in force when the wall clock is set forward or back, within a minute or at the next look', async () => {
    const s = setup({ bandwidth: { schedule: ['08:00,512k', '18:00,4M'] } }, new Date(2026, 11, 7, 9, 0).getTime());
    await s.c.start();
    expect(s.throttle.bytesPerSecond).to.equal(512 * 1024);
    // NTP puts the clock ten hours forward (19:00): the boundary timer was armed for 9 h ahead.
    s.timers.setWallClock(10 * 60 * 60 * 1000);
    expect(s.c.status().bytesPerSecond, 'whoever looks sees the entry in force').to.equal(4 * 1024 * 1024);
    expect(s.throttle.bytesPerSecond).to.equal(4 * 1024 * 1024);
    // Back to 09:xx: no boundary is crossed forward, the minute look re-reads the timetable.
    s.timers.setWallClock(-10 * 60 * 60 * 1000);
    s.timers.advance(60_000);
    expect(s.throttle.bytesPerSecond).to.equal(512 * 1024);
    s.c.close();
    expect(s.timers.scheduled).to.equal(0);
  });

  it('re-applies a boundary the dispatcher reaches before the timer fires', async () => {
    const s = setup({ bandwidth: { schedule: ['08:00,512k', '18:00,4M'] } }, new Date(2026, 11, 7, 17, 59, 30).getTime());
    await s.c.start();
    s.timers.setWallClock(31_000); // the clock is past 18:00, the timer (monotonic) has not fired yet
    s.c.admit();
    expect(s.throttle.bytesPerSecond).to.equal(4 * 1024 * 1024);
  });

  it('takes a reloaded policy at once', async () => {
    const s = setup({});
    await s.c.start();
    await s.c.apply(parse({ upload: POLICY }));
    expect(s.c.status().link).to.equal('wifi');
    s.io.table = route('ppp0');
    await s.c.apply(parse({ upload: { links: { ...POLICY.links, probe_interval_seconds: 1 } } }));
    s.timers.advance(1000);
    await flush();
    expect(s.c.admit()).to.equal(0);
    s.c.close();
    expect(s.timers.scheduled).to.equal(0);
  });
});

describe('link/status-fields: what status in another process reads', () => {
  /** The controller's meta rows in a migrated database, as `status` opens it. */
  function storeOf(meta: Map<string, string>): Database.Database {
    const db = migratedDb(':memory:');
    const put = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    for (const [k, v] of meta) put.run(k, v);
    return db;
  }

  it('shows the link, last probe, budget and rate in force the daemon shows', async () => {
    const s = setup(POLICY);
    await s.c.start();
    s.io.table = route('wwan0');
    s.timers.advance(5000);
    await flush();
    s.c.recordBytes(85 * MB);
    s.c.close(); // flushes the budget meter
    const now = s.timers.now();
    const config = parse({ upload: POLICY });
    const empty = { files: 0, bytes: 0 };
    const live = liveLinkStatusFields(s.c.status(), { high: empty, normal: empty, low: empty }, now);
    const db = storeOf(s.meta);
    const read = readLinkStatusFields(db, config, now);
    db.close();
    expect(read).to.deep.equal(live);
    expect(read.link).to.deep.equal({
      link: 'cellular', iface: 'wwan0', restriction: 'cellular policy: high and above', lastProbeAt: new Date(now).toISOString(), lastProbeError: null, reportedAt: new Date(now).toISOString(),
    });
    expect(read.bandwidth).to.deep.equal({ bytesPerSecond: 250_000 });
    expect(read.cellularBudget).to.include({ usedBytes: 85 * MB, limitBytes: 100 * MB, leftBytes: 15 * MB, level: 'high-only' });
  });

  it('rewrites the record only when a figure changed', async () => {
    const s = setup(POLICY);
    const writes: string[] = [];
    const set = s.meta.set.bind(s.meta);
    s.meta.set = (k: string, v: string) => {
      if (k === 'link_state') writes.push(v);
      return set(k, v);
    };
    await s.c.start();
    expect(writes).to.have.length(1);
    s.timers.advance(5000);
    await flush();
    expect(writes).to.have.length(2); // the probe's time moved
    expect(JSON.parse(writes[1]!)).to.include({ link: 'wifi', iface: 'wlan0', bytesPerSecond: null, lastProbeError: null });
    await s.c.apply(parse({ upload: POLICY })); // a reload that changes nothing
    expect(writes).to.have.length(2);
  });

  it('reads a stopped daemon\'s last record with its time, and a past month\'s meter as this month\'s zero', () => {
    const db = storeOf(new Map([
      ['link_state', JSON.stringify({ link: 'wifi', iface: 'wlan0', restriction: null, bytesPerSecond: 1000, lastProbeAt: 5000, lastProbeError: 'boom', at: 6000 })],
      ['cellular_budget', JSON.stringify({ month: '2026-11', bytes: 99 * MB })],
    ]));
    const read = readLinkStatusFields(db, parse({ upload: POLICY }), new Date(2026, 11, 7, 12).getTime());
    expect(read.link).to.deep.equal({ link: 'wifi', iface: 'wlan0', restriction: null, lastProbeAt: new Date(5000).toISOString(), lastProbeError: 'boom', reportedAt: new Date(6000).toISOString() });
    expect(read.cellularBudget).to.deep.equal({ month: '2026-12', usedBytes: 0, limitBytes: 100 * MB, leftBytes: 100 * MB, level: 'ok' });
    expect(read.queueByPriority).to.deep.equal({ high: { files: 0, bytes: 0 }, normal: { files: 0, bytes: 0 }, low: { files: 0, bytes: 0 } });
    // Without upload.links there is no link or budget to show, only the rate the daemon applied.
    const plain = readLinkStatusFields(db, parse({ upload: {} }), 0);
    expect(plain).to.deep.equal({ queueByPriority: null, link: null, cellularBudget: null, bandwidth: { bytesPerSecond: 1000 } });
    db.close();
  });
});

describe('link/link-controller after close', () => {
  it('ignores a probe that answers after close and writes nothing more', async () => {
    const s = setup(POLICY);
    await s.c.start();
    let answer: (t: string) => void = () => undefined;
    s.io.readFile = () => new Promise<string>((r) => (answer = r));
    s.timers.advance(5000); // probe starts, hangs
    s.c.close();
    const writes = s.meta.size;
    const changes = s.changes.length;
    answer(route('wwan0'));
    await flush();
    s.c.recordBytes(1e9);
    expect(s.meta.size).to.equal(writes);
    expect(s.changes.length).to.equal(changes);
    expect(s.c.status().link).to.equal('wifi');
  });
});
