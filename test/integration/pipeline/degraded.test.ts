/**
 * A state store that refuses writes for a while (injected into the real daemon's store, as
 * SQLITE_FULL would surface) must not kill the daemon: it reports degraded (log line, metric,
 * /healthz 503 with the reason), keeps retrying, and once writes succeed again it recovers by
 * itself and uploads everything. Real s3rver on loopback, real watcher and workers.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import { Daemon } from '../../../src/daemon.js';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { createLogger, silentLogger } from '../../../src/telemetry/logger.js';
import { listKeys, objectContentSha, sha256, until } from '../../support/crash-objects.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { daemonConfigYaml, HTTP_ANY_PORT, type ConfigTree } from '../../support/daemon-config.js';

const BUCKET = 'tvm-degraded';

describe('daemon with a state store that refuses writes for a while', function () {
  this.timeout(120_000);
  let server: S3TestServer;
  let root: string;
  let daemon: Daemon | null = null;

  before(async () => {
    server = await startS3rver();
    await server.bucket(BUCKET);
  });
  after(() => server.stop());
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tvm-degraded-'))));
  afterEach(async () => {
    await daemon?.close(5000);
    daemon = null;
    rmSync(root, { recursive: true, force: true });
  });

  const yaml = (vehicleId: string, overrides: ConfigTree = {}): string =>
    daemonConfigYaml({ root, endpoint: server.endpoint, bucket: BUCKET, vehicleId, overrides: { upload: { file_stable_seconds: 0.3 }, ...overrides } });

  it('stays up, says degraded on /healthz with the reason, then recovers by itself and uploads everything', async () => {
    const logs: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: 'info', pretty: false, destination: { write: (l: string) => void logs.push(JSON.parse(l) as Record<string, unknown>) } });
    const events: TelemetryEvent[] = [];
    const telemetry = new Telemetry(silentLogger());
    telemetry.on((e) => events.push(e));
    const config = parseConfig(yaml('degraded-car', { monitoring: { http: HTTP_ANY_PORT } }), { env: {} });
    mkdirSync(join(root, 'logs'), { recursive: true });
    daemon = await Daemon.start({ config, logger, s3Credentials: server.credentials, telemetry });
    const url = String(logs.find((l) => typeof l.url === 'string')!.url);

    // From now on every write of new files and every claim fails, as with a full disk.
    const files = daemon.store.files;
    let broken = true;
    const full = (): never => {
      throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, 'state database: database or disk is full (SQLITE_FULL)');
    };
    for (const m of ['enqueue', 'enqueueMany', 'claimNext'] as const) {
      const real = files[m].bind(files) as (...a: unknown[]) => unknown;
      (files as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => (broken ? full() : real(...a));
    }
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 5; i++) {
      const body = Buffer.from(`line ${i}\n`.repeat(500 + i));
      bodies.set(`f${i}.log`, body);
      writeFileSync(join(root, 'logs', `f${i}.log`), body);
    }

    await until(async () => (await fetch(`${url}/healthz`)).status === 503, '/healthz to say degraded', 60_000);
    const answer = (await (await fetch(`${url}/healthz`)).json()) as { status: string; reasons: Array<{ key: string; message: string }> };
    expect(answer.status).to.equal('unhealthy');
    expect(answer.reasons.map((r) => r.key)).to.include('intake');
    expect(answer.reasons.find((r) => r.key === 'intake')!.message).to.include('SQLITE_FULL');
    expect(await (await fetch(`${url}/metrics`)).text()).to.match(/tvm_upload_degraded\{reason="intake"\} 1/);
    expect(logs.some((l) => l.level === 'warn' && String(l.msg).startsWith('degraded:'))).to.equal(true);
    expect(events.filter((e) => e.type === 'file.uploaded')).to.deep.equal([]);

    broken = false;
    await until(() => events.filter((e) => e.type === 'file.uploaded').length >= bodies.size, 'every file uploaded after recovery', 90_000);
    await until(async () => (await fetch(`${url}/healthz`)).status === 200, '/healthz to recover', 60_000);
    expect(await (await fetch(`${url}/healthz`)).json()).to.deep.equal({ status: 'ok' });
    expect(logs.some((l) => String(l.msg).startsWith('recovered: intake'))).to.equal(true);
    const keys = await listKeys(server.client(), BUCKET);
    for (const [name, body] of bodies) {
      const key = keys.find((k) => k.endsWith(`/ros/${name}.gz`))!;
      expect(await objectContentSha(server.client(), BUCKET, key), name).to.equal(sha256(body));
    }
  });

  it('uploads every file uncompressed from its source when the spool filesystem has no room, writing nothing to the spool', async () => {
    const events: TelemetryEvent[] = [];
    const telemetry = new Telemetry(silentLogger());
    telemetry.on((e) => events.push(e));
    const config = parseConfig(yaml('full-car'), { env: {} });
    mkdirSync(join(root, 'logs'), { recursive: true });
    // The state filesystem has 10 MiB left: less than any file plus disk.reserved_gb.
    const spoolUsage = async (path: string) => ({ measuredPath: path, device: 1, totalBytes: 1e10, availableBytes: 10 * 1048576, usedBytes: 1e10 - 10 * 1048576, usedPercent: 99.9 });
    daemon = await Daemon.start({ config, logger: silentLogger(), s3Credentials: server.credentials, telemetry, spoolUsage });
    let spoolEntries = 0;
    const watch = setInterval(() => (spoolEntries = Math.max(spoolEntries, readdirSync(join(root, 'state', 'spool')).length)), 5);
    const bodies = new Map<string, Buffer>();
    try {
      for (let i = 0; i < 3; i++) {
        const body = Buffer.from(`compressible line ${i}\n`.repeat(20_000));
        bodies.set(`big${i}.log`, body);
        writeFileSync(join(root, 'logs', `big${i}.log`), body);
      }
      await until(() => events.filter((e) => e.type === 'file.uploaded').length >= bodies.size, 'every file uploaded', 90_000);
    } finally {
      clearInterval(watch);
    }
    expect(spoolEntries, 'files written to the spool').to.equal(0);
    expect(daemon.health.reasons().map((r) => r.key)).to.include('spool');
    const keys = await listKeys(server.client(), BUCKET);
    for (const [name, body] of bodies) {
      const key = keys.find((k) => k.startsWith('full-car/') && k.endsWith(`/ros/${name}`));
      expect(key, `${name} stored as it is (no .gz)`).to.be.a('string');
      expect(await objectContentSha(server.client(), BUCKET, key!), name).to.equal(sha256(body));
    }
  });
});
