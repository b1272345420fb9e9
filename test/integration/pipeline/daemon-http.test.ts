/** The status endpoint served by a running daemon (monitoring.http), against s3rver. */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import { Daemon } from '../../../src/daemon.js';
import { Telemetry } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { daemonConfigYaml, HTTP_ANY_PORT, type ConfigTree } from '../../support/daemon-config.js';

describe('daemon status endpoint (monitoring.http)', function () {
  this.timeout(60_000);
  let server: S3TestServer;
  let root: string;
  before(async () => {
    server = await startS3rver();
    await server.bucket('tvm-http');
  });
  after(() => server.stop());
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tvm-http-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('serves metrics that count uploads, and the queue status', async () => {
    const config = parseConfig(configYaml(HTTP_ANY_PORT), { env: {} });
    const telemetry = new Telemetry(silentLogger());
    let uploaded = 0;
    telemetry.on((e) => void (e.type === 'file.uploaded' && uploaded++));
    const { logger, urls: lines } = urlLogger();
    const daemon = await Daemon.start({ config, logger, s3Credentials: server.credentials, telemetry });
    try {
      const url = lines[0]!;
      mkdirSync(join(root, 'logs'), { recursive: true });
      writeFileSync(join(root, 'logs', 'a.log'), 'line\n'.repeat(1000));
      for (let i = 0; i < 400 && uploaded === 0; i++) await new Promise((r) => setTimeout(r, 50));
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).to.match(/tvm_upload_files_uploaded_total\{source="ros",codec="gzip"\} 1/);
      expect(metrics).to.match(/tvm_upload_bytes_pending 0/);
      expect(metrics).to.match(/tvm_upload_disk_used_percent\{filesystem="[^"]+"\} \d/);
      expect(metrics).not.to.match(/tvm_upload_degraded\{/);
      expect(metrics).to.match(/tvm_upload_process_resident_memory_bytes \d+/);
      const status = (await (await fetch(`${url}/status`)).json()) as { uploaded: number; queued: number; last24h: { uploads: number }; running: boolean };
      expect(status.uploaded).to.equal(1);
      expect(status.queued).to.equal(0);
      expect(status.last24h.uploads).to.equal(1);
      expect(status.running).to.equal(true);
    } finally {
      await daemon.close(5000);
    }
  });

  function configYaml(http: ConfigTree): string {
    return daemonConfigYaml({ root, endpoint: server.endpoint, bucket: 'tvm-http', vehicleId: 'http-test', overrides: { upload: { file_stable_seconds: 0 }, monitoring: { http } } });
  }

  function urlLogger(): { logger: ReturnType<typeof silentLogger>; urls: string[] } {
    const urls: string[] = [];
    const logger = silentLogger();
    const origInfo = logger.info.bind(logger);
    logger.info = ((obj: unknown, msg?: string) => {
      if (msg && obj && typeof obj === 'object' && 'url' in obj) urls.push(String((obj as { url: string }).url));
      return origInfo(obj as object, msg);
    }) as typeof logger.info;
    return { logger, urls };
  }

  it('answers /healthz 200 while running, 503 with the reason when the state store stops taking writes', async () => {
    const { logger, urls } = urlLogger();
    const daemon = await Daemon.start({ config: parseConfig(configYaml(HTTP_ANY_PORT), { env: {} }), logger, s3Credentials: server.credentials });
    try {
      const ok = await fetch(`${urls[0]}/healthz`);
      expect(ok.status).to.equal(200);
      expect(await ok.json()).to.deep.equal({ status: 'ok' });
      const set = daemon.store.meta.set.bind(daemon.store.meta);
      daemon.store.meta.set = (key: string, value: string) => {
        if (key === 'heartbeat') throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, 'cannot open or write state database (SQLITE_READONLY)');
        set(key, value);
      };
      const bad = await fetch(`${urls[0]}/healthz`);
      expect(bad.status).to.equal(503);
      const body = (await bad.json()) as { status: string; reasons: Array<{ key: string; message: string }> };
      expect(body.status).to.equal('unhealthy');
      expect(body.reasons.map((r) => r.key)).to.deep.equal(['state-store']);
      expect(body.reasons[0]!.message).to.include('SQLITE_READONLY');
      expect(await (await fetch(`${urls[0]}/metrics`)).text()).to.match(/tvm_upload_degraded\{reason="state-store"\} 1/);
      daemon.store.meta.set = set;
      expect((await fetch(`${urls[0]}/healthz`)).status).to.equal(200);
    } finally {
      await daemon.close(5000);
    }
  });

  it('keeps uploading when the port is taken, and says so in the status', async () => {
    const blocker = createServer(() => undefined);
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    let uploaded = 0;
    const telemetry = new Telemetry(silentLogger());
    telemetry.on((e) => void (e.type === 'file.uploaded' && uploaded++));
    const daemon = await Daemon.start({ config: parseConfig(configYaml({ ...HTTP_ANY_PORT, listen: `127.0.0.1:${port}` }), { env: {} }), logger: silentLogger(), s3Credentials: server.credentials, telemetry });
    try {
      expect(daemon.health.reasons().map((r) => r.key)).to.deep.equal(['http-endpoint']);
      mkdirSync(join(root, 'logs'), { recursive: true });
      writeFileSync(join(root, 'logs', 'b.log'), 'x\n');
      for (let i = 0; i < 400 && uploaded === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(uploaded).to.equal(1);
      const report = await daemon.statusReport();
      expect(report.degraded[0]!.message).to.include('monitoring.http.listen');
    } finally {
      await daemon.close(5000);
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
