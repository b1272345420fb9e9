import { expect } from 'chai';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildStatusReport, diskReports, parseReasons, stateUsage, HEALTH_META_KEY } from '../../../src/telemetry/status-report.js';
import { ACTIVITY_META_KEY } from '../../../src/telemetry/activity.js';
import { UPLOAD_PASS_META_KEY } from '../../../src/telemetry/upload-pass.js';
import { StateReader } from '../../../src/state/state-reader.js';
import { openStateStore, type StateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import type { DiskUsageIo } from '../../../src/disk/usage.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

const T0 = 1_700_000_000_000;

/** Two filesystems: /logs/a on device 1, everything else on device 2. */
const fakeDisks: DiskUsageIo = {
  statfs: async (p) => (p.startsWith('/logs/a') ? { bsize: 1024, blocks: 1000, bfree: 250, bavail: 250 } : { bsize: 4096, blocks: 100, bfree: 90, bavail: 90 }),
  device: async (p) => (p.startsWith('/logs/a') ? 1 : 2),
};

describe('telemetry/status-report (status --json, /status, the page)', () => {
  let dir: string;
  let store: StateStore;
  const config = (stateDir: string) => ({
    vehicleId: 'veh-9',
    stateDir,
    logDirectories: [
      { path: '/logs/a', source: 'a', recursive: true, pattern: null, allowDeletion: true, legacy: false },
      { path: '/logs/b', source: 'b', recursive: true, pattern: null, allowDeletion: true, legacy: false },
    ],
  });
  beforeEach(() => {
    dir = tempDir('tvm-report-');
    store = openStateStore({ dir, logger: silentLogger(), now: () => T0 });
  });
  afterEach(() => {
    store.close();
    removeDir(dir);
  });

  it('reports a known queue: counts, bytes, oldest age, 24 h figures, last errors and disk per filesystem', async () => {
    store.files.enqueue({ path: '/logs/b/2.log', source: 'b', relPath: '2.log', size: 24, mtimeMs: 1 }, T0 - 180_000);
    const up = store.files.claimNext(T0, { exclude: new Set(), queuedSince: null })!;
    store.files.markUploaded(up.id, { objectKey: 'k', contentSha256: 'h', uploadedAt: T0 - 1000, size: up.size, mtimeMs: 1 });
    store.files.enqueue({ path: '/logs/a/1.log', source: 'a', relPath: '1.log', size: 1000, mtimeMs: 1 }, T0 - 120_000);
    store.files.enqueue({ path: '/logs/b/3.log', source: 'b', relPath: '3.log', size: 50, mtimeMs: 1 }, T0 - 60_000);
    store.meta.set(ACTIVITY_META_KEY, JSON.stringify({ failures: [[T0 - 3_600_000, 4]], lastErrors: [{ code: 'TVM_ERR_S3_TRANSIENT', at: T0 - 5, path: '/logs/a/1.log', message: 'timeout' }] }));
    store.meta.set(HEALTH_META_KEY, JSON.stringify([{ key: 'disk', message: 'spool full', since: T0 }]));
    store.meta.set(UPLOAD_PASS_META_KEY, JSON.stringify({ seq: 2, pid: 4242, oneShot: true, startedAt: T0 - 10, finishedAt: null }));
    const reader = StateReader.open(dir);
    try {
      const r = await buildStatusReport({ config: config(dir), reader, daemonPid: 4242, now: T0, diskIo: fakeDisks });
      expect(r).to.deep.include({
        daemon: 'running upload-now one-shot (pid 4242)', running: true, pid: 4242, queued: 2, inFlight: 0, uploaded: 1, vehicleId: 'veh-9',
        bytesPending: 1050, oldestPendingAgeSeconds: 120, oldestPendingAt: new Date(T0 - 120_000).toISOString(),
        generatedAt: new Date(T0).toISOString(),
      });
      expect(r.last24h).to.deep.equal({ uploads: 1, bytes: 24, failures: 4 });
      expect(r.queueHead).to.deep.equal([
        { path: '/logs/a/1.log', size: 1000, queuedAt: new Date(T0 - 120_000).toISOString() },
        { path: '/logs/b/3.log', size: 50, queuedAt: new Date(T0 - 60_000).toISOString() },
      ]);
      expect(r.lastErrors).to.deep.equal([{ code: 'TVM_ERR_S3_TRANSIENT', at: T0 - 5, path: '/logs/a/1.log', message: 'timeout' }]);
      expect(r.degraded).to.deep.equal([{ key: 'disk', message: 'spool full', since: T0 }]);
      expect(r.lastPass).to.deep.equal({ oneShot: true, startedAt: new Date(T0 - 10).toISOString(), finishedAt: null });
      expect(r.disk).to.deep.equal([
        { holds: ['/logs/a'], measuredPath: '/logs/a', totalBytes: 1024 * 1000, availableBytes: 250 * 1024, usedPercent: 75 },
        { holds: ['/logs/b', `${dir} (state)`], measuredPath: '/logs/b', totalBytes: 409_600, availableBytes: 90 * 4096, usedPercent: 10 },
      ]);
    } finally {
      reader.close();
    }
  });

  it('shows no stale degraded reasons when no daemon runs, and live ones when given', async () => {
    store.meta.set(HEALTH_META_KEY, JSON.stringify([{ key: 'disk', message: 'old', since: 1 }]));
    const reader = StateReader.open(dir);
    try {
      const idle = await buildStatusReport({ config: config(dir), reader, daemonPid: null, now: T0, diskIo: fakeDisks });
      expect(idle).to.deep.include({ daemon: 'not running', running: false, degraded: [], oldestPendingAt: null, oldestPendingAgeSeconds: null, lastPass: null });
      store.meta.set(UPLOAD_PASS_META_KEY, JSON.stringify({ seq: 1, pid: 1, oneShot: false, startedAt: T0, finishedAt: T0 + 5 }));
      const live = await buildStatusReport({ config: config(dir), reader, daemonPid: 1, degraded: [], now: T0, diskIo: fakeDisks });
      expect(live.degraded).to.deep.equal([]);
      expect(live).to.deep.include({ daemon: 'running (pid 1)', lastPass: { oneShot: false, startedAt: new Date(T0).toISOString(), finishedAt: new Date(T0 + 5).toISOString() } });
    } finally {
      reader.close();
    }
  });

  it('reports a filesystem that cannot be measured with the reason instead of failing', async () => {
    const broken: DiskUsageIo = { statfs: async () => Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })), device: async () => 1 };
    const d = await diskReports({ stateDir: '/state', logDirectories: [] }, broken);
    expect(d).to.deep.equal([{ holds: ['/state (state)'], measuredPath: '/state', totalBytes: null, availableBytes: null, usedPercent: null, error: 'EIO: i/o error' }]);
  });

  it('counts what the daemon keeps on disk: the database with its WAL, and each spool file', async () => {
    const empty = tempDir('tvm-state-usage-');
    try {
      expect(await stateUsage(join(empty, 'never-created'))).to.deep.equal({ databaseBytes: 0, spoolFiles: 0, spoolBytes: 0 });
      const s = openStateStore({ dir: empty, logger: silentLogger() });
      s.close();
      mkdirSync(join(empty, 'spool'), { recursive: true });
      writeFileSync(join(empty, 'spool', '1.gz'), Buffer.alloc(1000));
      writeFileSync(join(empty, 'spool', '2.gz'), Buffer.alloc(24));
      const u = await stateUsage(empty);
      expect(u.databaseBytes).to.be.at.least(statSync(join(empty, 'tvm-upload.db')).size).and.above(0);
      expect({ spoolFiles: u.spoolFiles, spoolBytes: u.spoolBytes }).to.deep.equal({ spoolFiles: 2, spoolBytes: 1024 });
    } finally {
      removeDir(empty);
    }
  });

  it('ignores stored reasons it cannot read', () => {
    expect(parseReasons(null)).to.deep.equal([]);
    expect(parseReasons('{')).to.deep.equal([]);
    expect(parseReasons('{"a":1}')).to.deep.equal([]);
    expect(parseReasons('[{"key":"k","message":"m","since":1},{"key":2}]')).to.deep.equal([{ key: 'k', message: 'm', since: 1 }]);
  });
});
