import { expect } from 'chai';
import type { CloudWatchSink } from '../../../../src/sinks/cloudwatch/sink.js';
import { cloudWatchChanged, reloadAlarmOptions, replaceCloudWatchSink } from '../../../../src/sinks/cloudwatch/replace.js';
import { Telemetry, type TelemetryEvent } from '../../../../src/telemetry/events.js';
import { silentLogger } from '../../../../src/telemetry/logger.js';
import type { Config } from '../../../../src/config/types.js';
import { testConfig } from './helpers.js';

type Monitoring = Pick<Config, 'vehicleId' | 'monitoring'>;
const base = testConfig();
const withMonitoring = (over: Partial<Config['monitoring']>): Monitoring => ({ vehicleId: base.vehicleId, monitoring: { ...base.monitoring, ...over } });
const withAlarms = (over: Partial<Config['monitoring']['alarms']>): Monitoring => withMonitoring({ alarms: { ...base.monitoring.alarms, ...over } });
const vanished = (path: string): TelemetryEvent => ({ type: 'file.vanished', path });

/** A stand-in sink that records the events it receives while subscribed. */
class FakeSink {
  readonly seen: string[] = [];
  started = false;
  flushedWith: number | null = null;
  private unsubscribe: (() => void) | null = null;
  private release: () => void = () => undefined;
  constructor(private readonly telemetry: Pick<Telemetry, 'on'>, private readonly slowClose = false) {}
  start(): void {
    this.started = true;
    this.unsubscribe = this.telemetry.on((e) => this.seen.push((e as { path: string }).path));
  }
  flush(deadlineMs: number): Promise<unknown> {
    this.flushedWith = deadlineMs;
    return Promise.resolve({ sent: 0, remaining: 0 });
  }
  close(): Promise<void> {
    this.unsubscribe?.();
    return this.slowClose ? new Promise((r) => (this.release = r)) : Promise.resolve();
  }
  finishClose(): void {
    this.release();
  }
}

describe('sinks/cloudwatch/replace', () => {
  it('sees a CloudWatch change in any CloudWatch key, and none in monitoring.http', () => {
    expect(cloudWatchChanged(base, withMonitoring({ http: { enabled: true, listen: '127.0.0.1:1' } }))).to.equal(false);
    expect(cloudWatchChanged(base, withMonitoring({ namespace: 'Other/NS' }))).to.equal(true);
    expect(cloudWatchChanged(base, withMonitoring({ cloudwatchEnabled: false }))).to.equal(true);
    expect(cloudWatchChanged(base, withMonitoring({ publishIntervalSeconds: 30 }))).to.equal(true);
    expect(cloudWatchChanged(base, withAlarms({ evaluationPeriods: 5 }))).to.equal(true);
  });

  it('overwrites only the alarms whose definitions change', () => {
    const low = 'TVM-LowUpload-vehicle-7';
    const failures = 'TVM-UploadFailures-vehicle-7';
    const backlog = 'TVM-Backlog-vehicle-7';
    expect(reloadAlarmOptions(base, withMonitoring({ publishIntervalSeconds: 30 }))).to.deep.equal({ overwrite: [] });
    expect(reloadAlarmOptions(base, withMonitoring({ cloudwatchEnabled: false }))).to.deep.equal({ overwrite: [] });
    expect(reloadAlarmOptions(base, withAlarms({ lowUploadThresholdMb: 7 }))).to.deep.equal({ overwrite: [low] });
    expect(reloadAlarmOptions(base, withAlarms({ evaluationPeriods: 5 }))).to.deep.equal({ overwrite: [low] });
    expect(reloadAlarmOptions(base, withAlarms({ uploadFailuresThreshold: 3 }))).to.deep.equal({ overwrite: [failures] });
    expect(reloadAlarmOptions(base, withAlarms({ backlogThresholdHours: 2 }))).to.deep.equal({ overwrite: [backlog] });
    expect(reloadAlarmOptions(base, withMonitoring({ namespace: 'Other/NS' }))).to.deep.equal({ overwrite: [low, failures, backlog] });
  });

  it('flushes the old sink, then hands every event to exactly one sink, those of the hand-over to the new one', async () => {
    const telemetry = new Telemetry(silentLogger());
    const old = new FakeSink(telemetry, true);
    old.start();
    telemetry.emit(vanished('before'));
    let next: FakeSink | null = null;
    const replacing = replaceCloudWatchSink(old as unknown as CloudWatchSink, telemetry, (t) => (next = new FakeSink(t)) as unknown as CloudWatchSink, 1234);
    await new Promise((r) => setImmediate(r)); // the flush is done, the close is pending
    expect(old.flushedWith).to.equal(1234);
    telemetry.emit(vanished('during'));
    old.finishClose();
    const sink = (await replacing) as unknown as FakeSink;
    telemetry.emit(vanished('after'));
    expect(sink).to.equal(next);
    expect(sink.started).to.equal(true);
    expect(old.seen).to.deep.equal(['before']);
    expect(sink.seen).to.deep.equal(['during', 'after']);
  });

  it('keeps at most 10 000 events of a hand-over (the queue is bounded)', async () => {
    const telemetry = new Telemetry(silentLogger());
    const old = new FakeSink(telemetry, true);
    const replacing = replaceCloudWatchSink(old as unknown as CloudWatchSink, telemetry, (t) => new FakeSink(t) as unknown as CloudWatchSink, 10);
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 10_005; i++) telemetry.emit(vanished(`f${i}`));
    old.finishClose();
    const sink = (await replacing) as unknown as FakeSink;
    expect(sink.seen).to.have.length(10_000);
    expect(sink.seen.at(-1)).to.equal('f9999');
  });

  it('builds but does not start the new sink when the daemon began stopping meanwhile', async () => {
    const telemetry = new Telemetry(silentLogger());
    const old = new FakeSink(telemetry);
    old.start();
    const sink = (await replaceCloudWatchSink(old as unknown as CloudWatchSink, telemetry, (t) => new FakeSink(t) as unknown as CloudWatchSink, 10, () => true)) as unknown as FakeSink;
    telemetry.emit(vanished('after'));
    expect(sink.started).to.equal(false);
    expect(sink.seen).to.deep.equal([]);
  });
});
