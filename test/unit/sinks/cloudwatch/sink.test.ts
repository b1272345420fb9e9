import { expect } from 'chai';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  type PutMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { CloudWatchSink, type CloudWatchSinkOptions } from '../../../../src/sinks/cloudwatch/sink.js';
import { openStateStore, type StateStore } from '../../../../src/state/store.js';
import { Telemetry, type TelemetryEvent } from '../../../../src/telemetry/events.js';
import { silentLogger } from '../../../../src/telemetry/logger.js';
import { AsyncTimers, MemoryOutbox, T0, capturingLogger, netError, serviceError, settle, testConfig, type CapturedLogger, useCloudWatchMock } from './helpers.js';
import { tempDir, removeDir } from '../../../support/temp-dir.js';

const MIN = 60_000;

function uploaded(sourceBytes: number, sentBytes: number, remoteSkip = false): TelemetryEvent {
  return { type: 'file.uploaded', path: '/l/a.log', key: 'k', source: 'ros', sourceBytes, sentBytes, codec: 'gzip', latencyMs: 5, remoteSkip };
}

describe('cloudwatch/sink (CloudWatchSink)', () => {
  let cw: AwsClientStub<CloudWatchClient>;
  let client: CloudWatchClient;
  let dir: string;
  let store: StateStore;
  let telemetry: Telemetry;
  let timers: AsyncTimers;
  let log: CapturedLogger;
  let sink: CloudWatchSink | null;

  useCloudWatchMock((m) => ({ cw, client } = m));
  beforeEach(() => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    cw.on(PutMetricAlarmCommand).resolves({});
    dir = tempDir('tvm-cw-sink-');
    store = openStateStore({ dir, logger: silentLogger() });
    telemetry = new Telemetry(silentLogger());
    // 30 s into a minute, so the first tick comes after 30 s, then every 60 s.
    timers = new AsyncTimers(T0 + 30_000);
    log = capturingLogger();
    sink = null;
  });
  afterEach(async () => {
    await sink?.close();
    store.close();
    removeDir(dir);
  });

  function make(over: Partial<CloudWatchSinkOptions> = {}): CloudWatchSink {
    sink = new CloudWatchSink({
      telemetry,
      outbox: store.outbox,
      config: testConfig(),
      logger: log.logger,
      client,
      timers,
      random: () => 0.5,
      diskProbe: () => 61.5,
      ...over,
    });
    return sink;
  }
  const requests = (): PutMetricDataCommandInput[] => cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);
  const published = () =>
    requests().flatMap((r) => (r.MetricData ?? []).map((d) => ({ name: d.MetricName, value: d.Value, at: d.Timestamp!.getTime(), unit: d.Unit })));
  const sum = (name: string): number => published().filter((p) => p.name === name).reduce((n, p) => n + (p.value ?? 0), 0);

  it('records ServiceStartup = 1 once, even when started twice', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    make().start();
    sink!.start();
    await sink!.settled();
    expect(published()).to.deep.equal([{ name: 'ServiceStartup', value: 1, at: T0 + 30_000, unit: 'Count' }]);
  });

  it('records no ServiceStartup when asked not to (the upload-now one-shot), but still counts uploads', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    make({ recordStartup: false, alarms: false }).start();
    await sink!.settled();
    expect(published()).to.deep.equal([]);
    telemetry.emit(uploaded(1000, 100));
    expect(await sink!.flush(1000)).to.deep.include({ remaining: 0 });
    expect(sum('ServiceStartup')).to.equal(0);
    expect(sum('BytesUploaded')).to.equal(1000);
  });

  it('writes each interval to the outbox at wall-clock-aligned ticks, zeros included', async () => {
    cw.on(PutMetricDataCommand).rejects(netError('ECONNREFUSED'));
    make().start();
    await settle();
    const startup = store.outbox.count();
    telemetry.emit(uploaded(1000, 100));
    await timers.advanceAsync(30_000);
    const first = store.outbox.peek(100).slice(startup);
    expect(first.map((e) => [e.name, e.unit, e.value, e.timestamp])).to.deep.equal([
      ['BytesUploaded', 'Bytes', 1000, T0 + MIN],
      ['BytesSent', 'Bytes', 100, T0 + MIN],
      ['FileCount', 'Count', 1, T0 + MIN],
      ['FailureCount', 'Count', 0, T0 + MIN],
      ['DiskUsagePercent', 'Percent', 61.5, T0 + MIN],
    ]);
    await timers.advanceAsync(MIN);
    const second = store.outbox.peek(100).slice(startup + first.length);
    expect(second.map((e) => [e.name, e.value, e.timestamp])).to.deep.include.members([
      ['BytesUploaded', 0, T0 + 2 * MIN],
      ['FileCount', 0, T0 + 2 * MIN],
      ['FailureCount', 0, T0 + 2 * MIN],
    ]);
  });

  it('publishes every interval periodically, excluding files found already in S3', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    make().start();
    telemetry.emit(uploaded(1000, 100));
    telemetry.emit(uploaded(5000, 0, true));
    telemetry.emit({ type: 'file.failed', path: '/l/b', key: null, code: 'X', message: 'm', attempts: 1, retryInMs: 0, retriability: 'retriable', hint: null });
    await timers.advanceAsync(30_000);
    telemetry.emit(uploaded(2000, 300));
    telemetry.emit({ type: 'queue.depth', queued: 3, inFlight: 1, oldestQueuedAt: T0, bytesPending: 0 });
    await timers.advanceAsync(MIN);
    await sink!.settled();
    expect(requests()).to.have.length(3);
    expect(requests().every((r) => r.Namespace === 'TVM/Upload')).to.equal(true);
    expect(sum('BytesUploaded')).to.equal(3000);
    expect(sum('BytesSent')).to.equal(400);
    expect(sum('FileCount')).to.equal(2);
    expect(sum('FailureCount')).to.equal(1);
    expect(published().find((p) => p.name === 'QueueDepth')).to.deep.equal({ name: 'QueueDepth', value: 3, at: T0 + 2 * MIN, unit: 'Count' });
    expect(published().find((p) => p.name === 'OldestPendingAgeSeconds')?.value).to.equal(120);
    expect(store.outbox.count()).to.equal(0);
  });

  it('starts without throwing when CloudWatch is unreachable, and keeps every count for later', async () => {
    cw.on(PutMetricDataCommand).rejects(netError('ECONNREFUSED'));
    cw.on(DescribeAlarmsCommand).rejects(netError('ECONNREFUSED'));
    make().start();
    telemetry.emit(uploaded(700, 70));
    await timers.advanceAsync(5 * MIN, 10_000);
    expect(sink!.status()).to.include({ alarms: 'pending' });
    expect(sink!.status().failureStreak).to.be.greaterThan(1);
    const failedRequests = requests().length;
    cw.on(PutMetricDataCommand).resolves({});
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    await timers.advanceAsync(20 * MIN, 10_000);
    await sink!.settled();
    expect(store.outbox.count()).to.equal(0);
    const accepted = requests().slice(failedRequests).flatMap((r) => r.MetricData ?? []);
    const total = (name: string): number => accepted.filter((d) => d.MetricName === name).reduce((n, d) => n + (d.Value ?? 0), 0);
    expect(total('BytesUploaded')).to.equal(700);
    expect(total('ServiceStartup')).to.equal(1);
    expect(sink!.status().alarms).to.equal('ok');
  });

  it('flush writes the partial interval and sends it before shutdown', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    make().start();
    await sink!.settled();
    telemetry.emit(uploaded(123, 45));
    await timers.advanceAsync(10_000);
    const r = await sink!.flush(2000);
    expect(r).to.deep.equal({ sent: 5, remaining: 0 });
    expect(published().find((p) => p.name === 'BytesUploaded')).to.deep.equal({ name: 'BytesUploaded', value: 123, at: T0 + 40_000, unit: 'Bytes' });
  });

  it('close keeps unsent activity in the outbox, so a restart publishes it (a crash loses only the partial interval)', async () => {
    cw.on(PutMetricDataCommand).rejects(serviceError('ServiceUnavailable', 503));
    make().start();
    telemetry.emit(uploaded(10, 1));
    await timers.advanceAsync(30_000);
    telemetry.emit(uploaded(20, 2));
    await sink!.close();
    await sink!.close();
    expect(timers.scheduled).to.equal(0);
    store.close();

    store = openStateStore({ dir, logger: silentLogger() });
    cw.on(PutMetricDataCommand).resolves({});
    const before = requests().length;
    make({ config: testConfig() }).start();
    await sink!.settled();
    const after = requests().slice(before).flatMap((r) => r.MetricData ?? []);
    expect(after.filter((d) => d.MetricName === 'BytesUploaded').reduce((n, d) => n + (d.Value ?? 0), 0)).to.equal(30);
    expect(after.filter((d) => d.MetricName === 'ServiceStartup')).to.have.length(2);
  });

  it('close after flush writes nothing more when nothing happened since', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    make().start();
    await sink!.flush(1000);
    const n = requests().length;
    await sink!.close();
    expect(store.outbox.count()).to.equal(0);
    expect(requests()).to.have.length(n);
    expect(await sink!.flush(1000)).to.deep.equal({ sent: 0, remaining: null });
    sink!.start();
    expect(timers.scheduled).to.equal(0);
  });

  it('keeps counts in memory when the outbox cannot take an interval, and writes them with the next one', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    const outbox = new MemoryOutbox();
    outbox.failNext = { op: 'add', err: new Error('SQLITE_FULL') };
    make({ outbox }).start();
    expect(log.matching(/cannot record ServiceStartup/)).to.have.length(1);
    telemetry.emit(uploaded(50, 5));
    outbox.failNext = { op: 'add', err: new Error('SQLITE_FULL') };
    await timers.advanceAsync(30_000);
    expect(log.matching(/counts are kept for the next interval/)).to.have.length(1);
    telemetry.emit(uploaded(25, 5));
    await timers.advanceAsync(MIN);
    await sink!.settled();
    expect(sum('BytesUploaded')).to.equal(75);
  });

  it('does nothing when CloudWatch is disabled', async () => {
    make({ config: testConfig({ cloudwatchEnabled: false }) }).start();
    telemetry.emit(uploaded(1, 1));
    await timers.advanceAsync(5 * MIN);
    expect(store.outbox.count()).to.equal(0);
    expect(cw.calls()).to.have.length(0);
    expect(await sink!.flush(100)).to.deep.equal({ sent: 0, remaining: null });
    expect(log.matching(/disabled/)).to.have.length(1);
  });

  it('creates the low-upload, failures and backlog alarms at start, from monitoring.alarms', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    make().start();
    await sink!.settled();
    const names = cw.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input.AlarmName);
    expect(names).to.deep.equal(['TVM-LowUpload-vehicle-7', 'TVM-UploadFailures-vehicle-7', 'TVM-Backlog-vehicle-7']);
    expect(cw.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input.Threshold)).to.deep.equal([100 * 1024 * 1024, 10, 24 * 3600]);
    expect(sink!.status().alarms).to.equal('ok');
    expect(log.matching(/created CloudWatch alarms/)).to.have.length(1);
  });

  it('passes alarm settings through, and creates none when alarms are off', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    make({ alarms: { lowUploadThresholdMb: 5, uploadFailuresThreshold: null, backlogThresholdHours: null } }).start();
    await sink!.settled();
    expect(cw.commandCalls(PutMetricAlarmCommand).map((c) => c.args[0].input.Threshold)).to.deep.equal([5 * 1024 * 1024]);
    await sink!.close();
    cw.resetHistory();
    make({ alarms: false }).start();
    await sink!.settled();
    expect(cw.commandCalls(DescribeAlarmsCommand)).to.have.length(0);
    expect(sink!.status().alarms).to.equal('disabled');
  });

  it('gives up on alarms when their creation is denied, logging it once, without affecting metrics', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    cw.on(DescribeAlarmsCommand).rejects(serviceError('AccessDenied', 403));
    make().start();
    await sink!.settled();
    await timers.advanceAsync(3 * MIN);
    await sink!.settled();
    expect(cw.commandCalls(DescribeAlarmsCommand)).to.have.length(1);
    expect(sink!.status().alarms).to.equal('failed');
    expect(log.matching(/cannot create CloudWatch alarms.*not retried/)).to.have.length(1);
    expect(store.outbox.count()).to.equal(0);
  });

  it('retries transient alarm failures after successful publishes, at most five times', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    cw.on(DescribeAlarmsCommand).rejects(serviceError('Throttling', 400));
    make().start();
    await sink!.settled();
    await timers.advanceAsync(10 * MIN, MIN);
    await sink!.settled();
    expect(cw.commandCalls(DescribeAlarmsCommand)).to.have.length(5);
    expect(sink!.status().alarms).to.equal('failed');
  });

  it('builds its own client from the environment when none is given, and destroys it on close', async () => {
    sink = new CloudWatchSink({
      telemetry,
      outbox: store.outbox,
      config: testConfig({ logDir: dir }),
      logger: log.logger,
      env: { AWS_ENDPOINT_URL_CLOUDWATCH: 'http://127.0.0.1:9' },
      timers,
      alarms: false,
    });
    cw.on(PutMetricDataCommand).resolves({});
    sink.start();
    await sink.settled();
    await timers.advanceAsync(30_000);
    await sink.settled();
    expect(published().find((p) => p.name === 'DiskUsagePercent')?.value).to.be.within(0, 100);
    await sink.close();
  });
});
