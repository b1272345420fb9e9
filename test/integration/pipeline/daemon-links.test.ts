/**
 * The real daemon (in process) against s3rver on loopback with the issue-17 policies live: a route
 * file the test rewrites stands in for /proc/net/route, and a fault proxy stands in for a server
 * that stops reading mid-part. Conditions are polled with generous timeouts; no duration is asserted.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '../../../src/config/load.js';
import { markCommand } from '../../../src/cli/mark.js';
import { Daemon } from '../../../src/daemon.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { ErrorCodes } from '../../../src/errors.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { daemonConfigYaml, type ConfigTree } from '../../support/daemon-config.js';
import { until } from '../../support/crash-objects.js';

const BUCKET = 'tvm-links';
const HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
const route = (iface: string) => `${HEADER}${iface}\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n`;

describe('daemon with link policy and stall recovery (s3rver)', function () {
  this.timeout(180_000);
  let server: S3TestServer;
  let root: string;
  let daemon: Daemon | null = null;
  let proxy: FaultProxy | null = null;
  let events: TelemetryEvent[] = [];

  before(async () => {
    server = await startS3rver();
    await server.bucket(BUCKET);
  });
  after(async () => {
    await server.stop();
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tvm-links-'));
    mkdirSync(join(root, 'logs/ros'), { recursive: true });
    mkdirSync(join(root, 'logs/events'), { recursive: true });
    events = [];
  });
  afterEach(async () => {
    // The daemon first: its in-flight requests go through the proxy.
    await daemon?.close(5000);
    await proxy?.close();
    [daemon, proxy] = [null, null];
    rmSync(root, { recursive: true, force: true });
  });

  async function start(endpoint: string, upload: ConfigTree): Promise<Daemon> {
    const yaml = daemonConfigYaml({
      root,
      endpoint,
      bucket: BUCKET,
      vehicleId: 'vehicle-links',
      directories: [
        { path: `${root}/logs/ros`, source: 'ros' },
        { path: `${root}/logs/events`, source: 'events', priority: 'high' },
      ],
      overrides: { upload: { file_stable_seconds: 0.5, scan_existing_files: undefined, ...upload }, monitoring: { http: undefined } },
    });
    writeFileSync(join(root, 'config.yaml'), yaml);
    const telemetry = new Telemetry(silentLogger());
    telemetry.on((e) => events.push(e));
    const config = loadConfig(join(root, 'config.yaml'), { env: {} });
    daemon = await Daemon.start({ config, logger: silentLogger(), s3Credentials: server.credentials, telemetry });
    return daemon;
  }

  const uploadedPaths = () => events.flatMap((e) => (e.type === 'file.uploaded' ? [e.path] : []));

  it('stops normal uploads once the default route moves from wlan0 to wwan0, while high ones flow under the cellular cap', async () => {
    const routeFile = join(root, 'route');
    writeFileSync(routeFile, route('wlan0'));
    const d = await start(server.endpoint, {
      links: { route_file: routeFile, probe_interval_seconds: 1, policy: { cellular: { min_priority: 'high', bandwidth: '256k' } }, cellular_budget_mb_per_month: 1000 },
    });
    const before = join(root, 'logs/ros/on-wifi.log');
    writeFileSync(before, 'uploaded over wifi\n');
    await until(() => uploadedPaths().includes(before), 'a normal file over Wi-Fi');

    writeFileSync(routeFile, route('wwan0'));
    await until(() => d.status().link?.link === 'cellular', 'the probe to see wwan0');
    expect(d.status().link).to.deep.include({ iface: 'wwan0', bytesPerSecond: 256 * 1024, restriction: 'cellular policy: high and above' });

    const normal = join(root, 'logs/ros/on-lte.log');
    const high = join(root, 'logs/events/incident.json');
    writeFileSync(normal, 'waits for wifi\n');
    const incident = randomBytes(64 * 1024);
    writeFileSync(high, incident);
    await until(() => uploadedPaths().includes(high), 'the high file over LTE');
    expect(uploadedPaths()).to.not.include(normal);
    expect(d.status().queued).to.equal(1);
    // The incident's bytes went over cellular and were metered.
    expect(d.status().link?.budget?.usedBytes).to.be.at.least(incident.length);

    writeFileSync(routeFile, route('wlan0'));
    await until(() => uploadedPaths().includes(normal), 'the normal file once Wi-Fi is back');
  });

  it('aborts a part the server stopped reading and resumes the upload from its checkpoint', async () => {
    let stalled = false;
    proxy = await startFaultProxy({
      target: server.endpoint,
      seed: 17,
      faultRate: 1,
      faults: ['stall'],
      stallMs: 170_000, // far longer than the test: only the watchdog can end it
      shouldFault: (req) => {
        if (stalled || req.method !== 'PUT' || !(req.url ?? '').includes('partNumber=2')) return false;
        stalled = true;
        return true;
      },
    });
    await start(proxy.url, { part_concurrency: 1, compression: { codec: 'none' }, stall_timeout_seconds: 5, retry: { base_seconds: 0.2, max_seconds: 1 } });
    const big = join(root, 'logs/ros/big.bin');
    writeFileSync(big, randomBytes(7 * 1024 * 1024));
    await until(() => uploadedPaths().includes(big), 'the stalled file to be uploaded', 150_000);
    const failures = events.flatMap((e) => (e.type === 'file.failed' ? [e.code] : []));
    expect(failures).to.deep.equal([ErrorCodes.UPLOAD_STALLED]);
    const parts = proxy.decisions().filter((x) => x.method === 'PUT' && x.path.includes('partNumber='));
    expect(parts.filter((x) => x.path.includes('partNumber=1'))).to.have.length(1); // not sent again
    expect(parts.filter((x) => x.path.includes('partNumber=2'))).to.have.length(2);
    expect(proxy.stats().aborted).to.equal(1);
  });

  it('makes the files a mark covers arrive ahead of an older backlog, with the marker as object metadata', async () => {
    const old = Date.now() / 1000 - 3600;
    const backlog = Array.from({ length: 12 }, (_, i) => join(root, `logs/ros/backlog-${String(i).padStart(2, '0')}.bin`));
    for (const f of backlog) {
      writeFileSync(f, randomBytes(128 * 1024));
      utimesSync(f, old, old);
    }
    const d = await start(server.endpoint, { concurrency: 1, compression: { codec: 'none' }, bandwidth: { max_mbps: 1 } });
    await until(() => d.status().queued >= 10 && uploadedPaths().length >= 1, 'the backlog to be queued and moving');
    const recent = [join(root, 'logs/ros/camera-a.bin'), join(root, 'logs/events/planner.log'), join(root, 'logs/ros/camera-b.bin')];
    for (const f of recent) writeFileSync(f, randomBytes(16 * 1024));
    const queuedPaths = () => events.flatMap((e) => (e.type === 'file.queued' ? [e.path] : []));
    await until(() => recent.every((f) => queuedPaths().includes(f)), 'the recent files to be queued behind the backlog');
    const io = { out: () => undefined, err: (s: string) => expect.fail(s), env: {} };
    expect(await markCommand(io, { config: join(root, 'config.yaml'), reason: 'hard brake', before: '2m', after: '1m' })).to.equal(0);
    await until(() => recent.every((f) => uploadedPaths().includes(f)), 'the marked files');
    // Marked while a backlog was still queued: every marked file beat the older backlog's tail,
    // which is still waiting (12 × 128 KiB at 1 Mbit/s take ~13 s; the marked files ~3 s).
    const order = uploadedPaths();
    const backlogLeft = backlog.filter((f) => !order.includes(f));
    expect(backlogLeft, `uploaded in this order: ${order.join(', ')}`).to.not.be.empty;
    const key = events.flatMap((e) => (e.type === 'file.uploaded' && e.path === recent[0] ? [e.key] : []))[0]!;
    const head = await server.client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.Metadata).to.deep.include({ 'incident-marker-reason': 'hard%20brake' });
  });
});
