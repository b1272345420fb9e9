/**
 * The CloudWatch sink against a real moto_server over loopback: intervals published and summed
 * by CloudWatch's own statistics, alarms as DescribeAlarms shows them, a request above the SDK's
 * 10 KiB compression threshold, an outage (the client pointed at a closed port) that loses
 * no counts, and DiskUsagePercent per filesystem from a real deletion pass over two watched
 * directories that an injected statfs puts on two filesystems, and the queue by priority as a
 * Priority dimension. Time inside the sink is virtual (ticks, backoff); the HTTP is real.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
  type Datapoint,
} from '@aws-sdk/client-cloudwatch';
import { parseConfig } from '../../../src/config/load.js';
import { buildDeletion } from '../../../src/deletion/build.js';
import { runDeletionPass } from '../../../src/deletion/pass.js';
import { createCloudWatchClient } from '../../../src/sinks/cloudwatch/client.js';
import { CloudWatchSink } from '../../../src/sinks/cloudwatch/sink.js';
import { MetricsPublisher, type CloudWatchSend } from '../../../src/sinks/cloudwatch/metrics-publisher.js';
import { openStateStore, type StateStore } from '../../../src/state/store.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { motoUnavailableReason, startMoto, type S3TestServer, TEST_REGION } from '../../support/s3-servers.js';
import { freePort } from '../../support/ports.js';
import { AsyncTimers, capturingLogger, testConfig } from '../../unit/sinks/cloudwatch/helpers.js';
import { missingTool } from '../../support/tools.js';
import { daemonConfigYaml } from '../../support/daemon-config.js';
import { emergencyOnlyConfig, filesDiskIo } from '../../unit/deletion/helpers.js';

const MIN = 60_000;
const NS = 'TVM/Upload';

function uploaded(sourceBytes: number, sentBytes: number, remoteSkip = false): TelemetryEvent {
  return { type: 'file.uploaded', path: '/l/a.log', key: 'k', source: 'ros', sourceBytes, sentBytes, codec: 'gzip', latencyMs: 5, remoteSkip };
}

describe('integration: CloudWatch sink against moto_server', function () {
  this.timeout(60_000);
  let moto: S3TestServer | null = null;
  let client: CloudWatchClient;
  let dir: string;
  let store: StateStore;
  const clients: CloudWatchClient[] = [];

  before(async function () {
    moto = await startMoto();
    if (moto === null) {
      missingTool(this, 'moto', motoUnavailableReason() ?? 'moto_server did not start');
    }
    client = cwClient(moto.endpoint);
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await moto?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-cw-int-'));
    store = openStateStore({ dir, logger: silentLogger() });
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function cwClient(endpoint: string): CloudWatchClient {
    const c = createCloudWatchClient({ region: TEST_REGION, profile: null }, { AWS_ENDPOINT_URL_CLOUDWATCH: endpoint }, { credentials: moto!.credentials }).client;
    clients.push(c);
    return c;
  }

  async function datapoints(vehicleId: string, metric: string, from: number, to: number, extra: Array<{ Name: string; Value: string }> = []): Promise<Datapoint[]> {
    const out = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: NS,
        MetricName: metric,
        Dimensions: [{ Name: 'VehicleId', Value: vehicleId }, ...extra],
        StartTime: new Date(from - 3_600_000),
        EndTime: new Date(to + 3_600_000),
        Period: 60,
        Statistics: ['Sum', 'SampleCount', 'Minimum', 'Maximum'],
      }),
    );
    return out.Datapoints ?? [];
  }

  async function statistic(vehicleId: string, metric: string, from: number, to: number): Promise<{ sum: number; samples: number }> {
    const dps = await datapoints(vehicleId, metric, from, to);
    return { sum: dps.reduce((n, d) => n + (d.Sum ?? 0), 0), samples: dps.reduce((n, d) => n + (d.SampleCount ?? 0), 0) };
  }

  function sinkFor(vehicleId: string, timers: AsyncTimers, telemetry: Telemetry, send: CloudWatchSend = client): CloudWatchSink {
    return new CloudWatchSink({
      telemetry,
      outbox: store.outbox,
      config: { ...testConfig({ logDir: dir }), vehicleId },
      logger: silentLogger(),
      client: send,
      timers,
      random: () => 0.5,
    });
  }

  it('publishes several intervals that CloudWatch sums to what was uploaded', async () => {
    const start = Math.floor((Date.now() - 30 * MIN) / MIN) * MIN;
    const timers = new AsyncTimers(start);
    const telemetry = new Telemetry(silentLogger());
    const sink = sinkFor('int-sums', timers, telemetry);
    sink.start();
    for (let i = 1; i <= 4; i++) {
      telemetry.emit(uploaded(1000 * i, 100 * i));
      telemetry.emit(uploaded(999_999, 0, true));
      telemetry.emit({ type: 'queue.depth', queued: i, inFlight: 0, oldestQueuedAt: timers.now(), bytesPending: 0 });
      timers.advance(MIN);
      await sink.settled();
    }
    telemetry.emit({ type: 'file.failed', path: '/x', key: null, code: 'X', message: 'm', attempts: 1, retryInMs: 0, retriability: 'retriable', hint: null });
    expect(await sink.flush(10_000)).to.deep.equal({ sent: 8, remaining: 0 });
    await sink.close();

    const end = timers.now();
    expect((await statistic('int-sums', 'BytesUploaded', start, end)).sum).to.equal(10_000);
    expect((await statistic('int-sums', 'BytesSent', start, end)).sum).to.equal(1_000);
    expect((await statistic('int-sums', 'FileCount', start, end)).sum).to.equal(4);
    expect(await statistic('int-sums', 'FailureCount', start, end)).to.deep.equal({ sum: 1, samples: 5 });
    expect((await statistic('int-sums', 'ServiceStartup', start, end)).sum).to.equal(1);
    expect((await statistic('int-sums', 'DiskUsagePercent', start, end)).samples).to.equal(5);

    const listed = await client.send(new ListMetricsCommand({ Namespace: NS, Dimensions: [{ Name: 'VehicleId', Value: 'int-sums' }] }));
    expect(new Set((listed.Metrics ?? []).map((m) => m.MetricName))).to.deep.equal(
      new Set(['ServiceStartup', 'BytesUploaded', 'BytesSent', 'FileCount', 'FailureCount', 'QueueDepth', 'BytesPending', 'OldestPendingAgeSeconds', 'DiskUsagePercent']),
    );
    for (const m of listed.Metrics ?? []) expect(m.Dimensions).to.deep.equal([{ Name: 'VehicleId', Value: 'int-sums' }]);
  });

  it('creates the vehicle alarms with the reference fields, once', async () => {
    const timers = new AsyncTimers(Date.now());
    const sink = sinkFor('int-alarm', timers, new Telemetry(silentLogger()));
    sink.start();
    await sink.settled();
    expect(sink.status().alarms).to.equal('ok');
    await sink.close();

    const out = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TVM-' }));
    const mine = (out.MetricAlarms ?? []).filter((a) => a.AlarmName?.endsWith('-int-alarm'));
    expect(mine.map((a) => a.AlarmName).sort()).to.deep.equal(['TVM-Backlog-int-alarm', 'TVM-LowUpload-int-alarm', 'TVM-UploadFailures-int-alarm']);
    const low = mine.find((a) => a.AlarmName === 'TVM-LowUpload-int-alarm')!;
    expect(low).to.include({
      MetricName: 'BytesUploaded',
      Namespace: NS,
      Statistic: 'Sum',
      Period: 86400,
      EvaluationPeriods: 3,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 100 * 1024 * 1024,
      ActionsEnabled: false,
      TreatMissingData: 'breaching',
    });
    expect(low.Dimensions).to.deep.equal([{ Name: 'VehicleId', Value: 'int-alarm' }]);
    expect(mine.find((a) => a.AlarmName === 'TVM-UploadFailures-int-alarm')).to.include({
      MetricName: 'FailureCount', Statistic: 'Sum', Period: 3600, EvaluationPeriods: 1, Threshold: 10,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
    });
    const backlog = mine.find((a) => a.AlarmName === 'TVM-Backlog-int-alarm')!;
    expect(backlog).to.include({
      MetricName: 'OldestPendingAgeSeconds', Namespace: NS, Statistic: 'Maximum', Period: 900, EvaluationPeriods: 1,
      Threshold: 24 * 3600, ComparisonOperator: 'GreaterThanThreshold', ActionsEnabled: false,
    });
    expect(backlog.Dimensions).to.deep.equal([{ Name: 'VehicleId', Value: 'int-alarm' }]);

    // A restart leaves them as they are (an operator may have edited them since).
    const again = sinkFor('int-alarm', timers, new Telemetry(silentLogger()));
    again.start();
    await again.settled();
    await again.close();
    const after = await client.send(new DescribeAlarmsCommand({ AlarmNames: ['TVM-LowUpload-int-alarm'] }));
    expect(after.MetricAlarms?.[0]?.AlarmConfigurationUpdatedTimestamp).to.deep.equal(low.AlarmConfigurationUpdatedTimestamp);
  });

  it('creates the alarms from the reference\'s production keys (low_upload_threshold_mb, alarm_evaluation_periods) and the backlog key', async () => {
    const monitoring = { cloudwatch_enabled: true, low_upload_threshold_mb: 500, alarm_evaluation_periods: 2, upload_failures_alarm_threshold: 3, backlog_alarm_threshold_hours: 6 };
    const yaml = daemonConfigYaml({ root: dir, bucket: 'tvm-logs', vehicleId: 'int-keys', overrides: { monitoring } });
    const config = parseConfig(yaml, { env: {} });
    const sink = new CloudWatchSink({ telemetry: new Telemetry(silentLogger()), outbox: store.outbox, config, logger: silentLogger(), client, timers: new AsyncTimers(Date.now()) });
    sink.start();
    await sink.settled();
    await sink.close();
    const out = await client.send(new DescribeAlarmsCommand({ AlarmNames: ['TVM-LowUpload-int-keys', 'TVM-UploadFailures-int-keys', 'TVM-Backlog-int-keys'] }));
    const by = new Map((out.MetricAlarms ?? []).map((a) => [a.AlarmName, a]));
    expect(by.get('TVM-LowUpload-int-keys')).to.include({ Threshold: 500 * 1024 * 1024, EvaluationPeriods: 2, Period: 86400 });
    expect(by.get('TVM-UploadFailures-int-keys')).to.include({ Threshold: 3 });
    expect(by.get('TVM-Backlog-int-keys')).to.include({ Threshold: 6 * 3600, MetricName: 'OldestPendingAgeSeconds' });
  });

  it('sends a request larger than 10 KiB (request compression is off for custom endpoints)', async () => {
    const now = Date.now();
    store.outbox.add(Array.from({ length: 400 }, (_, i) => ({ name: 'FileCount', unit: 'Count' as const, value: 1, timestamp: now - i * 1000 })));
    const timers = new AsyncTimers(now);
    const publisher = new MetricsPublisher({ client, outbox: store.outbox, namespace: NS, vehicleId: 'int-big', logger: silentLogger(), timers });
    expect(await publisher.flush(20_000)).to.deep.equal({ sent: 400, remaining: 0 });
    await publisher.close();
    expect((await statistic('int-big', 'FileCount', now - 400_000, now)).sum).to.equal(400);

    // The control: the same body gzipped (the SDK default) is what moto cannot read.
    const gzipping = new CloudWatchClient({ region: TEST_REGION, endpoint: moto!.endpoint, credentials: moto!.credentials, maxAttempts: 1 });
    clients.push(gzipping);
    const body = Array.from({ length: 400 }, (_, i) => ({ MetricName: 'FileCount', Dimensions: [{ Name: 'VehicleId', Value: 'int-gz' }], Timestamp: new Date(now - i * 1000), Value: 1 }));
    let failed = false;
    try {
      await gzipping.send(new PutMetricDataCommand({ Namespace: NS, MetricData: body }));
    } catch {
      failed = true;
    }
    expect(failed, 'moto accepted a gzipped body: the 10 KiB test would prove nothing').to.equal(true);
  });

  it('loses no count through a CloudWatch outage (closed port, then moto)', async () => {
    const closedPort = await freePort();
    const down = cwClient(`http://127.0.0.1:${closedPort}`);
    let current: CloudWatchSend = down;
    const switching: CloudWatchSend = { send: ((cmd: never, opts: never) => current.send(cmd, opts)) as CloudWatchSend['send'] };
    const start = Math.floor((Date.now() - 40 * MIN) / MIN) * MIN;
    const timers = new AsyncTimers(start);
    const telemetry = new Telemetry(silentLogger());
    const log = capturingLogger();
    const sink = new CloudWatchSink({
      telemetry,
      outbox: store.outbox,
      config: { ...testConfig({ logDir: dir }), vehicleId: 'int-outage' },
      logger: log.logger,
      client: switching,
      timers,
      random: () => 0.5,
      alarms: false,
    });
    sink.start();
    await sink.settled();
    let expected = 0;
    for (let i = 1; i <= 6; i++) {
      telemetry.emit(uploaded(i * 111, i));
      expected += i * 111;
      timers.advance(MIN);
      await sink.settled();
    }
    expect(sink.status().failureStreak).to.be.greaterThan(0);
    expect(sink.status().backlog).to.be.greaterThan(6 * 4);
    expect(log.matching(/metrics stay in the outbox/).length).to.be.at.least(1);

    current = client;
    for (let i = 0; i < 20 && (sink.status().backlog ?? 1) > 0; i++) {
      timers.advance(MIN);
      await sink.settled();
    }
    expect(sink.status().backlog).to.equal(0);
    expect(log.matching(/CloudWatch publishing recovered/)).to.have.length(1);
    await sink.close();
    const end = timers.now();
    expect((await statistic('int-outage', 'BytesUploaded', start, end)).sum).to.equal(expected);
    expect((await statistic('int-outage', 'ServiceStartup', start, end)).sum).to.equal(1);
  });

  it('publishes DiskUsagePercent per filesystem with a Filesystem dimension, and the fullest one vehicle-wide', async () => {
    const MIB = 1024 * 1024;
    const full = join(dir, 'logs', 'full');
    const roomy = join(dir, 'logs', 'roomy');
    for (const d of [full, roomy]) mkdirSync(d, { recursive: true });
    // Two watched directories on two "filesystems" (devices 1 and 2): 70 % and 20 % used, below
    // the warning threshold, so the pass only measures and reports them.
    const ioFull = filesDiskIo(full, 10 * MIB, 7 * MIB, 1);
    const ioRoomy = filesDiskIo(roomy, 10 * MIB, 2 * MIB, 2);
    const pick = (p: string) => (p.startsWith(full) ? ioFull : ioRoomy);
    const config = emergencyOnlyConfig({ [full]: 'full', [roomy]: 'roomy' }, { warning: 0.9, critical: 0.95 }, join(dir, 'state'));
    const start = Math.floor((Date.now() - 20 * MIN) / MIN) * MIN;
    const timers = new AsyncTimers(start);
    const telemetry = new Telemetry(silentLogger());
    const sink = sinkFor('int-disk', timers, telemetry);
    sink.start();
    const { pass } = buildDeletion({
      config, db: store.db, dbPath: store.dbPath, enqueue: () => undefined, telemetry, logger: silentLogger(), now: () => timers.now(), dryRun: false,
      diskIo: { statfs: (p) => pick(p).statfs(p), device: (p) => pick(p).device(p) },
    });
    const report = await runDeletionPass(pass, { trigger: 'timer' });
    expect(report.filesystems.map((f) => f.path)).to.deep.equal([full, roomy]);
    timers.advance(MIN);
    await sink.settled();
    expect((await sink.flush(10_000)).remaining).to.equal(0);
    await sink.close();

    const end = timers.now();
    // Every interval the sink wrote (the minute and the final flush) carries the same figures.
    const figures = async (extra: Array<{ Name: string; Value: string }> = []) => {
      const dps = await datapoints('int-disk', 'DiskUsagePercent', start, end, extra);
      const sum = dps.reduce((n, d) => n + (d.Sum ?? 0), 0);
      return { samples: dps.reduce((n, d) => n + (d.SampleCount ?? 0), 0), sum, min: Math.min(...dps.map((d) => d.Minimum!)), max: Math.max(...dps.map((d) => d.Maximum!)) };
    };
    const ofFull = await figures([{ Name: 'Filesystem', Value: full }]);
    expect(ofFull).to.include({ min: 70, max: 70 });
    expect(ofFull.samples).to.be.at.least(1);
    const ofRoomy = await figures([{ Name: 'Filesystem', Value: roomy }]);
    expect(ofRoomy).to.deep.equal({ samples: ofFull.samples, sum: 20 * ofFull.samples, min: 20, max: 20 });
    // moto answers a VehicleId-only query with every point that has that dimension (CloudWatch
    // matches the exact set), so the vehicle-wide points are what is left besides the two above.
    const all = await figures();
    expect(all.samples - ofFull.samples - ofRoomy.samples).to.equal(ofFull.samples);
    expect(all.sum - ofFull.sum - ofRoomy.sum).to.equal(70 * ofFull.samples);

    const listed = await client.send(new ListMetricsCommand({ Namespace: NS, MetricName: 'DiskUsagePercent', Dimensions: [{ Name: 'VehicleId', Value: 'int-disk' }] }));
    // moto lists a metric once per request that carried it: compare the distinct dimension sets.
    const dimensionSets = new Set((listed.Metrics ?? []).map((m) => (m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',')));
    expect(dimensionSets).to.deep.equal(new Set(['VehicleId=int-disk', `VehicleId=int-disk,Filesystem=${full}`, `VehicleId=int-disk,Filesystem=${roomy}`]));
  });

  it('publishes QueueDepth and BytesQueued per priority with a Priority dimension, the vehicle-wide QueueDepth, and the link metrics', async () => {
    const start = Math.floor((Date.now() - 20 * MIN) / MIN) * MIN;
    const timers = new AsyncTimers(start);
    const telemetry = new Telemetry(silentLogger());
    const sink = sinkFor('int-prio', timers, telemetry);
    sink.start();
    const byPriority = { high: { files: 2, bytes: 2048 }, normal: { files: 5, bytes: 5000 }, low: { files: 1, bytes: 7 } };
    telemetry.emit({ type: 'queue.depth', queued: 8, inFlight: 0, oldestQueuedAt: start, bytesPending: 7055, byPriority });
    telemetry.emit({ type: 'link.state', link: 'cellular', cellularBytesUsed: 4096 });
    telemetry.emit({ type: 'upload.stalled', timeoutSeconds: 120 });
    timers.advance(MIN);
    await sink.settled();
    expect((await sink.flush(10_000)).remaining).to.equal(0);
    await sink.close();
    const end = timers.now();

    const range = async (metric: string, extra: Array<{ Name: string; Value: string }> = []) => {
      const dps = await datapoints('int-prio', metric, start, end, extra);
      return { samples: dps.reduce((n, d) => n + (d.SampleCount ?? 0), 0), min: Math.min(...dps.map((d) => d.Minimum!)), max: Math.max(...dps.map((d) => d.Maximum!)), unit: dps[0]?.Unit };
    };
    for (const p of ['high', 'normal', 'low'] as const) {
      const files = await range('QueueDepth', [{ Name: 'Priority', Value: p }]);
      expect(files, `QueueDepth ${p}`).to.include({ min: byPriority[p].files, max: byPriority[p].files, unit: 'Count' });
      const bytes = await range('BytesQueued', [{ Name: 'Priority', Value: p }]);
      expect(bytes, `BytesQueued ${p}`).to.include({ min: byPriority[p].bytes, max: byPriority[p].bytes, unit: 'Bytes' });
      expect(bytes.samples).to.be.at.least(1);
    }
    expect(await range('CurrentLink')).to.include({ min: 3, max: 3 });
    expect(await range('CellularBytesUsed')).to.include({ min: 4096, max: 4096, unit: 'Bytes' });
    expect(await range('StalledUploads')).to.include({ samples: 1, min: 1, max: 1 });

    // One metric name per figure: the priority is a dimension, and the vehicle-wide QueueDepth stays.
    const listed = await client.send(new ListMetricsCommand({ Namespace: NS, Dimensions: [{ Name: 'VehicleId', Value: 'int-prio' }] }));
    const sets = new Set((listed.Metrics ?? []).filter((m) => m.MetricName === 'QueueDepth' || m.MetricName === 'BytesQueued').map((m) => `${m.MetricName}:${(m.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',')}`));
    expect(sets).to.deep.equal(
      new Set([
        'QueueDepth:VehicleId=int-prio',
        ...['high', 'normal', 'low'].flatMap((p) => [`QueueDepth:VehicleId=int-prio,Priority=${p}`, `BytesQueued:VehicleId=int-prio,Priority=${p}`]),
      ]),
    );
  });
});
