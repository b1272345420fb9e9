import { expect } from 'chai';
import { statusLines } from '../../../src/cli/status.js';
import { formatBytes, formatDuration } from '../../../src/cli/format.js';
import type { StatusReport } from '../../../src/telemetry/status-report.js';

const report: StatusReport = {
  daemon: 'running (pid 7)',
  queued: 4,
  inFlight: 1,
  uploaded: 10,
  running: true,
  pid: 7,
  vehicleId: 'v',
  generatedAt: '2030-01-01T00:00:00.000Z',
  bytesPending: 3 * 1024 * 1024,
  oldestPendingAt: '2029-12-31T21:00:00.000Z',
  oldestPendingAgeSeconds: 3 * 3600 + 120,
  queueHead: [],
  inFlightFiles: [
    { path: '/l/big.bag', size: 100, bytesConfirmed: 50, uploadBytes: 80 },
    { path: '/l/small.log', size: 10, bytesConfirmed: 0, uploadBytes: null },
  ],
  last24h: { uploads: 5, bytes: 2048, failures: 2 },
  lastErrors: [{ code: 'TVM_ERR_S3_TRANSIENT', at: Date.parse('2030-01-01T00:00:00Z'), path: '/l/x.log', message: 'timeout' }],
  retrying: [{ path: '/l/x.log', attempts: 2, code: 'TVM_ERR_S3_TRANSIENT', error: 'timeout', nextAttemptAt: '2030-01-01T00:01:00.000Z' }],
  disk: [
    { holds: ['/l', '/s (state)'], measuredPath: '/l', totalBytes: 1000, availableBytes: 1024, usedPercent: 42.5 },
    { holds: ['/gone'], measuredPath: '/gone', totalBytes: null, availableBytes: null, usedPercent: null, error: 'EIO' },
  ],
  degraded: [{ key: 'state-store', message: 'not writable', since: Date.parse('2030-01-01T00:00:00Z') }],
  lastPass: null,
  deletion: null,
  stateUsage: { databaseBytes: 4096, spoolFiles: 2, spoolBytes: 3 * 1024 * 1024 },
};

describe('cli/status text', () => {
  it('shows every figure of the report on its own line', () => {
    expect(statusLines(report, 30)).to.deep.equal([
      'daemon:    running (pid 7)',
      'queued:    4 (in flight 1), 3.0 MiB pending, oldest waiting 3h02m (since 2029-12-31T21:00:00.000Z)',
      'uploaded:  10 (kept in the registry for 30 days)',
      'last 24 h: 5 uploads, 2.0 KiB, 2 failed attempts',
      'sending:   /l/big.bag (50 B of 80 B confirmed)',
      'sending:   /l/small.log (0 B of 10 B confirmed)',
      'retrying:  /l/x.log (2 attempts, TVM_ERR_S3_TRANSIENT: timeout; next at 2030-01-01T00:01:00.000Z)',
      'last error TVM_ERR_S3_TRANSIENT at 2030-01-01T00:00:00.000Z: /l/x.log: timeout',
      'disk:      /l, /s (state): 42.5% used, 1.0 KiB free',
      'disk:      /gone: cannot measure (EIO)',
      'state:     database 4.0 KiB, spool 2 files 3.0 MiB',
      'health:    DEGRADED',
      '  state-store: not writable (since 2030-01-01T00:00:00.000Z)',
    ]);
  });

  it('says ok and leaves out the age when nothing waits', () => {
    const lines = statusLines({ ...report, oldestPendingAgeSeconds: null, oldestPendingAt: null, degraded: [], inFlightFiles: [], retrying: [], lastErrors: [], disk: [] }, 30);
    expect(lines[1]).to.equal('queued:    4 (in flight 1), 3.0 MiB pending');
    expect(lines.at(-1)).to.equal('health:    ok');
  });

  it('tells about the last upload-now pass, finished or running', () => {
    const t = '2030-01-01T00:00:00.000Z';
    expect(statusLines({ ...report, lastPass: { oneShot: true, startedAt: t, finishedAt: null } }, 30)).to.include(`upload-now: last pass one-shot started ${t}, still running`);
    expect(statusLines({ ...report, lastPass: { oneShot: false, startedAt: t, finishedAt: t } }, 30)).to.include(`upload-now: last pass by the daemon started ${t}, finished ${t}`);
  });

  it('formats sizes and durations for people', () => {
    expect([0, 1023, 1024, 5 * 1024 ** 4, 3 * 1024 ** 5].map(formatBytes)).to.deep.equal(['0 B', '1023 B', '1.0 KiB', '5.0 TiB', '3072.0 TiB']);
    expect([-5, 59, 61, 3600, 90_000].map(formatDuration)).to.deep.equal(['0s', '59s', '1m01s', '1h00m', '1d01h']);
  });
});
