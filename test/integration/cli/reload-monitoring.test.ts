/**
 * SIGHUP applies `monitoring.*` live, against the real CLI: moving `monitoring.http.listen`
 * closes the old port and serves /healthz on the new one; turning `cloudwatch_enabled` on makes
 * the daemon publish metrics to a real moto_server and create its alarms there.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { createCloudWatchClient } from '../../../src/sinks/cloudwatch/client.js';
import { startS3rver, startMoto, motoUnavailableReason, type S3TestServer, TEST_REGION } from '../../support/s3-servers.js';
import { killIfRunning, startBin } from '../../support/cli-daemon.js';
import { daemonConfig, writeDaemonConfig, type ConfigTree } from '../../support/daemon-config.js';
import type { DaemonProcess, LogLine } from '../../support/daemon-process.js';
import { freePort } from '../../support/ports.js';
import { missingTool } from '../../support/tools.js';

const VEHICLE = 'reload-monitoring';
const reloaded = (l: LogLine): boolean => l.msg === 'configuration reloaded';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true; generous, since the machine may be loaded. */
async function eventually(probe: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await probe()) return;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function healthz(port: number): Promise<number | 'refused'> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
  } catch {
    return 'refused';
  }
}

describe('SIGHUP reload of monitoring.* (real CLI)', function () {
  this.timeout(180_000);
  let s3: S3TestServer;
  let dir: string;
  let config: string;
  let daemon: DaemonProcess | null = null;
  let n = 0;
  let bucket: string;

  before(async () => {
    s3 = await startS3rver();
  });
  after(() => s3.stop());
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-reload-mon-'));
    config = join(dir, 'config.yaml');
    bucket = `tvm-reload-mon-${++n}`;
    await s3.bucket(bucket);
    mkdirSync(join(dir, 'logs'));
  });
  afterEach(async () => {
    await killIfRunning(daemon);
    daemon = null;
    rmSync(dir, { recursive: true, force: true });
  });

  /** The test configuration with its `monitoring:` section replaced as a whole. */
  function write(monitoring: ConfigTree): void {
    const base = daemonConfig({ root: dir, endpoint: s3.endpoint, bucket, vehicleId: VEHICLE, overrides: { upload: { file_stable_seconds: 0.5 } } });
    writeDaemonConfig(config, { ...base, monitoring });
  }

  async function start(env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
    daemon = startBin(config, env);
    await daemon.waitFor((l) => l.msg === 'tvm-upload running', 'start');
    return daemon;
  }

  async function hup(d: DaemonProcess): Promise<LogLine> {
    const before = d.count(reloaded);
    d.kill('SIGHUP');
    await d.waitFor(() => d.count(reloaded) > before, 'the reload');
    return d.lines.filter(reloaded)[before]!;
  }

  it('moves the status endpoint to the new monitoring.http.listen: the old port stops answering, the new one serves /healthz', async () => {
    const [oldPort, newPort] = [await freePort(), await freePort()];
    write({ cloudwatch_enabled: false, http: { listen: `127.0.0.1:${oldPort}` } });
    const d = await start();
    await eventually(async () => (await healthz(oldPort)) === 200, '/healthz on the first port');
    write({ cloudwatch_enabled: false, http: { listen: `127.0.0.1:${newPort}` } });
    const line = await hup(d);
    expect(line.applied).to.deep.equal(['monitoring.http']);
    expect(line.needsRestart).to.deep.equal([]);
    await eventually(async () => (await healthz(newPort)) === 200, '/healthz on the new port');
    expect(await healthz(oldPort)).to.equal('refused');
    expect(d.child.exitCode).to.equal(null);
    d.kill('SIGTERM');
    expect((await d.exited).code).to.equal(0);
  });

  describe('against moto_server', () => {
    let moto: S3TestServer | null = null;
    let cw: CloudWatchClient;

    before(async function () {
      moto = await startMoto();
      if (moto === null) missingTool(this, 'moto', motoUnavailableReason() ?? 'moto_server did not start');
      cw = createCloudWatchClient({ region: TEST_REGION, profile: null }, { AWS_ENDPOINT_URL_CLOUDWATCH: moto.endpoint }, { credentials: moto.credentials }).client;
    });
    after(async () => {
      cw?.destroy();
      await moto?.stop();
    });

    async function metricNames(): Promise<string[]> {
      const out = await cw.send(new ListMetricsCommand({ Namespace: 'Fleet/Reload', Dimensions: [{ Name: 'VehicleId', Value: VEHICLE }] }));
      return (out.Metrics ?? []).map((m) => m.MetricName ?? '');
    }

    it('publishes metrics and creates the alarms once a reload turns cloudwatch_enabled on', async () => {
      const off = { cloudwatch_enabled: false, namespace: 'Fleet/Reload', publish_interval_seconds: 10, http: { enabled: false } };
      write(off);
      const d = await start({ AWS_ENDPOINT_URL_CLOUDWATCH: moto!.endpoint });
      const before = join(dir, 'logs', 'before.log');
      writeFileSync(before, 'uploaded while CloudWatch is off\n');
      await d.waitFor((l) => l.msg === 'uploaded' && l.path === before, 'the first upload');
      expect(await metricNames()).to.deep.equal([]);
      write({ ...off, cloudwatch_enabled: true, low_upload_threshold_mb: 7 });
      const line = await hup(d);
      expect(line.applied).to.deep.equal(['monitoring.cloudwatch_enabled', 'monitoring.low_upload_threshold_mb']);
      const after = join(dir, 'logs', 'after.log');
      writeFileSync(after, 'uploaded once CloudWatch is on\n');
      await d.waitFor((l) => l.msg === 'uploaded' && l.path === after, 'the upload after the reload');
      await eventually(async () => (await metricNames()).includes('BytesUploaded'), 'BytesUploaded in moto');
      const alarms = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [`TVM-LowUpload-${VEHICLE}`] }));
      expect(alarms.MetricAlarms?.[0]?.Threshold).to.equal(7 * 1024 * 1024);
      expect(alarms.MetricAlarms?.[0]?.Namespace).to.equal('Fleet/Reload');
      d.kill('SIGTERM');
      expect((await d.exited).code).to.equal(0);
    });

    it('overwrites an existing alarm when a reload changes its definition, and leaves the others alone', async () => {
      const on = { cloudwatch_enabled: true, namespace: 'Fleet/Reload', publish_interval_seconds: 10, http: { enabled: false } };
      write(on);
      const d = await start({ AWS_ENDPOINT_URL_CLOUDWATCH: moto!.endpoint });
      const names = [`TVM-LowUpload-${VEHICLE}`, `TVM-Backlog-${VEHICLE}`];
      const thresholds = async (): Promise<Record<string, number | undefined>> => {
        const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: names }));
        return Object.fromEntries((out.MetricAlarms ?? []).map((a) => [a.AlarmName!, a.Threshold]));
      };
      await eventually(async () => Object.keys(await thresholds()).length === 2, 'the alarms created at start');
      const backlogBefore = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [names[1]!] }))).MetricAlarms![0]!.AlarmConfigurationUpdatedTimestamp;
      write({ ...on, alarm_evaluation_periods: 5 });
      const line = await hup(d);
      expect(line.applied).to.deep.equal(['monitoring.alarm_evaluation_periods']);
      await eventually(async () => {
        const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: [names[0]!] }));
        return out.MetricAlarms?.[0]?.EvaluationPeriods === 5;
      }, 'the low-upload alarm with 5 evaluation periods');
      const backlogAfter = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [names[1]!] }))).MetricAlarms![0]!.AlarmConfigurationUpdatedTimestamp;
      expect(backlogAfter?.getTime()).to.equal(backlogBefore?.getTime());
      d.kill('SIGTERM');
      expect((await d.exited).code).to.equal(0);
    });
  });
});
