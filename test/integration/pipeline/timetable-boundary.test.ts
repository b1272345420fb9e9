/**
 * The bandwidth timetable in the real daemon (in process, s3rver): the rate in force, read from
 * `/status`, changes when the daemon's clock crosses a boundary. The clock is the real one moved
 * forward to about five seconds before a minute boundary (timers stay real), so the crossing comes
 * quickly and at a real timer's pace; the test polls /status with a generous timeout.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock, type Clock } from '../../../src/clock/clock.js';
import type { Daemon } from '../../../src/daemon.js';
import { startDaemonWithEndpoint } from '../../support/daemon-endpoint.js';
import { heldConfigYaml } from '../../support/daemon-config.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';

const MIN = 60_000;
const hhmm = (ms: number): string => {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
};

describe('bandwidth timetable boundary in the real daemon (s3rver)', function () {
  this.timeout(120_000);
  let server: S3TestServer;
  let root: string;
  let daemon: Daemon | null = null;

  before(async () => {
    server = await startS3rver();
    await server.bucket('tvm-timetable');
  });
  after(() => server.stop());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tvm-timetable-'));
    mkdirSync(join(root, 'logs'), { recursive: true });
  });
  afterEach(async () => {
    await daemon?.close(5000);
    daemon = null;
    rmSync(root, { recursive: true, force: true });
  });

  it('changes the rate in force that /status shows as the clock crosses a timetable boundary', async () => {
    // The boundary: a whole local minute a few minutes ahead; the daemon's clock starts 5 s before it (a start takes ~1 s).
    const boundary = Math.ceil((Date.now() + 5 * MIN) / MIN) * MIN;
    const offset = boundary - 5_000 - Date.now();
    const clock: Clock = { ...realClock, now: () => Date.now() + offset };
    const bandwidth = { schedule: [`${hhmm(boundary - 60 * MIN)},512k`, `${hhmm(boundary)},2M`] };
    const yaml = heldConfigYaml({ root, endpoint: server.endpoint, bucket: 'tvm-timetable', vehicleId: 'timetable', overrides: { upload: { bandwidth } } });
    const started = await startDaemonWithEndpoint(yaml, { s3Credentials: server.credentials, clock });
    daemon = started.daemon;
    const rate = async (): Promise<number | null> => {
      const res = await fetch(`${started.urls[0]}/status`);
      return ((await res.json()) as { bandwidth: { bytesPerSecond: number | null } }).bandwidth.bytesPerSecond;
    };
    const before = await rate();
    // A slow start may already be past the boundary; then the first reading is the later rate.
    if (clock.now() < boundary) expect(before).to.equal(512 * 1024);
    const end = Date.now() + 60_000;
    let after = before;
    while (after !== 2 * 1024 * 1024 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      after = await rate();
    }
    expect(after, `the rate in force after ${hhmm(boundary)} (daemon clock ${new Date(clock.now()).toISOString()})`).to.equal(2 * 1024 * 1024);
  });
});
