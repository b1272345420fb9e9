import { expect } from 'chai';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { CloudWatchClient, PutMetricDataCommand, type PutMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { MetricsPublisher, type PublisherOptions } from '../../../../src/sinks/cloudwatch/metrics-publisher.js';
import { ErrorCodes, TvmError } from '../../../../src/errors.js';
import { AsyncTimers, DAY, MemoryOutbox, T0, capturingLogger, netError, points, serviceError, settle, type CapturedLogger, useCloudWatchMock } from './helpers.js';

describe('cloudwatch/metrics-publisher', () => {
  let cw: AwsClientStub<CloudWatchClient>;
  let client: CloudWatchClient;
  let outbox: MemoryOutbox;
  let timers: AsyncTimers;
  let log: CapturedLogger;
  let publisher: MetricsPublisher;

  useCloudWatchMock((m) => ({ cw, client } = m));
  beforeEach(() => {
    outbox = new MemoryOutbox();
    timers = new AsyncTimers(T0);
    log = capturingLogger();
  });
  afterEach(async () => {
    await publisher?.close();
  });

  function make(over: Partial<PublisherOptions> = {}): MetricsPublisher {
    publisher = new MetricsPublisher({
      client,
      outbox,
      namespace: 'TVM/Upload',
      vehicleId: 'vehicle-7',
      logger: log.logger,
      timers,
      random: () => 0.5,
      ...over,
    });
    return publisher;
  }
  const sent = (): PutMetricDataCommandInput[] => cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input);
  const sentPoints = (): number => sent().reduce((n, r) => n + (r.MetricData?.length ?? 0), 0);

  it('sends 2,500 points as three requests and acknowledges each one after it is accepted', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    outbox.add(points(2500, T0 - 60_000));
    make().wake();
    await publisher.settled();
    expect(sent().map((r) => r.MetricData!.length)).to.deep.equal([1000, 1000, 500]);
    expect(outbox.acked.map((a) => a.length)).to.deep.equal([1000, 1000, 500]);
    expect(outbox.rows).to.have.length(0);
    expect(publisher.status()).to.include({ backlog: 0, failureStreak: 0, lastSuccessAt: T0 });
  });

  it('sends namespace TVM/Upload and the VehicleId dimension on every datum', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    outbox.add([{ name: 'FileCount', unit: 'Count', value: 3, timestamp: T0 - 1000 }]);
    make().wake();
    await publisher.settled();
    expect(sent()).to.deep.equal([
      {
        Namespace: 'TVM/Upload',
        MetricData: [{ MetricName: 'FileCount', Dimensions: [{ Name: 'VehicleId', Value: 'vehicle-7' }], Timestamp: new Date(T0 - 1000), Value: 3, Unit: 'Count' }],
      },
    ]);
  });

  it('keeps points in the outbox when a request fails and acknowledges only the accepted ones', async () => {
    cw.on(PutMetricDataCommand).resolvesOnce({}).rejects(serviceError('ServiceUnavailable', 503));
    outbox.add(points(1500, T0 - 60_000));
    make().wake();
    await publisher.settled();
    expect(outbox.acked.map((a) => a.length)).to.deep.equal([1000]);
    expect(outbox.rows).to.have.length(500);
    expect(publisher.status().failureStreak).to.equal(1);
    expect(publisher.status().lastError).to.include({ code: ErrorCodes.CLOUDWATCH, retriability: 'retriable' });
  });

  it('retries throttling after a full-jitter exponential backoff drawn from the injected random', async () => {
    cw.on(PutMetricDataCommand).rejectsOnce(serviceError('Throttling', 400)).rejectsOnce(serviceError('Throttling', 400)).resolves({});
    outbox.add(points(3, T0 - 1000));
    make().wake();
    await publisher.settled();
    // attempt 1 failed: 0.5 × 5 s
    expect(publisher.status().nextAttemptAt).to.equal(T0 + 2500);
    await timers.advanceAsync(2499);
    expect(sent()).to.have.length(1);
    await timers.advanceAsync(1);
    await publisher.settled();
    expect(sent()).to.have.length(2);
    // attempt 2 failed: 0.5 × 10 s
    expect(publisher.status().nextAttemptAt).to.equal(T0 + 2500 + 5000);
    await timers.advanceAsync(5000);
    await publisher.settled();
    expect(sent()).to.have.length(3);
    expect(outbox.rows).to.have.length(0);
    expect(log.matching(/metrics stay in the outbox/)).to.have.length(1);
    expect(log.matching(/CloudWatch publishing recovered/)).to.have.length(1);
  });

  it('does not send early when new points arrive during a backoff', async () => {
    cw.on(PutMetricDataCommand).rejectsOnce(netError('ECONNREFUSED')).resolves({});
    outbox.add(points(1, T0));
    make().wake();
    await publisher.settled();
    outbox.add(points(1, T0));
    publisher.wake();
    await settle();
    expect(sent()).to.have.length(1);
    await timers.advanceAsync(2500);
    await publisher.settled();
    expect(sent()).to.have.length(2);
    expect(sentPoints()).to.equal(3);
  });

  it('logs denied access once, retries it slowly, and says when it is resolved', async () => {
    cw.on(PutMetricDataCommand)
      .rejectsOnce(serviceError('AccessDenied', 403, 'not authorized'))
      .rejectsOnce(serviceError('AccessDenied', 403, 'not authorized'))
      .resolves({});
    outbox.add(points(2, T0));
    make().wake();
    await publisher.settled();
    expect(publisher.status().nextAttemptAt).to.equal(T0 + 300_000);
    await timers.advanceAsync(300_000);
    await publisher.settled();
    expect(sent()).to.have.length(2);
    expect(log.matching(/needs an operator/)).to.have.length(1);
    expect(log.matching(/needs an operator/)[0]).to.include({ level: 'error', code: ErrorCodes.CLOUDWATCH });
    await timers.advanceAsync(300_000);
    await publisher.settled();
    expect(outbox.rows).to.have.length(0);
    expect(log.matching(/resolved: TVM_ERR_CLOUDWATCH/)).to.have.length(1);
  });

  it('repeats the outage warning at most hourly while CloudWatch stays down', async () => {
    cw.on(PutMetricDataCommand).rejects(netError('ETIMEDOUT'));
    outbox.add(points(1, T0));
    make({ backoff: { baseSeconds: 60, maxSeconds: 60, maxAttempts: 100 }, random: () => 1 }).wake();
    await publisher.settled();
    await timers.advanceAsync(2 * 3_600_000, 60_000);
    expect(sent().length).to.be.greaterThan(100);
    expect(log.matching(/metrics stay in the outbox/)).to.have.length(3);
    expect(log.lines.filter((l) => l.level === 'debug' && /unreachable/.test(String(l.msg))).length).to.be.greaterThan(100);
  });

  it('drops points older than 14 days with a log line, and keeps younger ones', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    outbox.add(points(4, T0 - 15 * DAY));
    outbox.add(points(2, T0 - 13 * DAY, 'FileCount', 'Count'));
    make().wake();
    await publisher.settled();
    expect(sentPoints()).to.equal(2);
    expect(sent()[0]!.MetricData!.every((d) => d.MetricName === 'FileCount')).to.equal(true);
    const line = log.matching(/older than 14 days/);
    expect(line).to.have.length(1);
    expect(line[0]).to.include({ level: 'warn', dropped: 4 });
  });

  it('never drops points because of failures, however long they last (until 14 days)', async () => {
    cw.on(PutMetricDataCommand).rejects(serviceError('InternalServiceError', 500));
    outbox.add(points(10, T0));
    make().wake();
    await publisher.settled();
    await timers.advanceAsync(DAY, 600_000);
    expect(outbox.rows).to.have.length(10);
    expect(publisher.status().failureStreak).to.be.greaterThan(10);
  });

  it('flush ignores a pending backoff and sends the backlog once more', async () => {
    cw.on(PutMetricDataCommand).rejectsOnce(serviceError('Throttling', 400)).resolves({});
    outbox.add(points(5, T0));
    make().wake();
    await publisher.settled();
    const r = await publisher.flush(5000);
    expect(r).to.deep.equal({ sent: 5, remaining: 0 });
    expect(publisher.status().nextAttemptAt).to.equal(null);
  });

  it('flush gives up at its deadline when CloudWatch does not answer, leaving the points queued', async () => {
    cw.on(PutMetricDataCommand).callsFake(() => new Promise(() => undefined));
    outbox.add(points(5, T0));
    make();
    const done = publisher.flush(1000);
    await settle();
    await timers.advanceAsync(1000);
    expect(await done).to.deep.equal({ sent: 0, remaining: 5 });
    expect(outbox.acked).to.have.length(0);
  });

  it('flush waits for a send already in flight, bounded by the deadline', async () => {
    let release: (v: object) => void = () => undefined;
    cw.on(PutMetricDataCommand).callsFakeOnce(() => new Promise((r) => (release = r))).resolves({});
    outbox.add(points(2, T0));
    make().wake();
    const hung = publisher.flush(1000);
    await timers.advanceAsync(1000);
    expect(await hung).to.deep.equal({ sent: 0, remaining: 2 });
    const waiting = publisher.flush(1000);
    release({});
    expect(await waiting).to.deep.equal({ sent: 0, remaining: 0 });
  });

  it('close abandons an in-flight request without acknowledging it, is idempotent, and stops retries', async () => {
    cw.on(PutMetricDataCommand).callsFake(() => new Promise(() => undefined));
    outbox.add(points(3, T0));
    make().wake();
    await settle();
    const a = publisher.close();
    const b = publisher.close();
    expect(a).to.equal(b);
    await a;
    expect(outbox.rows).to.have.length(3);
    publisher.wake();
    expect(await publisher.flush(100)).to.deep.equal({ sent: 0, remaining: 3 });
    expect(timers.scheduled).to.equal(0);
  });

  it('does not schedule a retry when a send fails after close', async () => {
    let fail: (e: Error) => void = () => undefined;
    cw.on(PutMetricDataCommand).callsFake(() => new Promise((_r, rej) => (fail = rej)));
    outbox.add(points(1, T0));
    make().wake();
    await settle();
    const closing = publisher.close();
    fail(netError('ECONNRESET'));
    await closing;
    expect(timers.scheduled).to.equal(0);
  });

  it('survives outbox failures: logs them and tries again after a backoff', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    outbox.add(points(2, T0));
    outbox.failNext = { op: 'peek', err: new TvmError(ErrorCodes.STATE_UNAVAILABLE, 'database is locked') };
    make().wake();
    await publisher.settled();
    expect(publisher.status().lastError).to.include({ code: ErrorCodes.STATE_UNAVAILABLE });
    await timers.advanceAsync(2500);
    await publisher.settled();
    expect(outbox.rows).to.have.length(0);

    outbox.add(points(2, T0));
    outbox.failNext = { op: 'ack', err: new Error('disk I/O error') };
    publisher.wake();
    await publisher.settled();
    expect(publisher.status().lastError).to.include({ code: ErrorCodes.INTERNAL });
    expect(outbox.rows).to.have.length(2);

    outbox.failNext = { op: 'drop', err: new Error('drop failed') };
    await timers.advanceAsync(2500);
    await publisher.settled();
    expect(publisher.status().lastError?.message).to.contain('drop failed');
    outbox.failNext = { op: 'count', err: new Error('count failed') };
    expect(publisher.status().backlog).to.equal(null);
  });

  it('survives an outbox failure between pages', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    outbox.add(points(1200, T0));
    make({ limits: { maxData: 1000, maxBytes: 900_000 } });
    const origPeek = outbox.peek.bind(outbox);
    let calls = 0;
    outbox.peek = (n: number) => {
      calls += 1;
      if (calls === 2) throw new Error('page 2 failed');
      return origPeek(n);
    };
    publisher.wake();
    await publisher.settled();
    expect(outbox.rows).to.have.length(200);
    expect(publisher.status().failureStreak).to.equal(1);
  });

  it('calls the onPublished hook after accepted requests and contains its failures', async () => {
    cw.on(PutMetricDataCommand).resolves({});
    let calls = 0;
    outbox.add(points(1, T0));
    make({
      onPublished: () => {
        calls += 1;
        throw new Error('hook broke');
      },
    }).wake();
    await publisher.settled();
    expect(calls).to.equal(1);
    expect(log.matching(/onPublished hook failed/)).to.have.length(1);
  });
});
