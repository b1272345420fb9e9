/**
 * Chaos for metrics: the CloudWatch sink (real SQLite outbox, production CloudWatch client)
 * publishes through the seeded fault proxy to moto_server. For the first phase 40 % of requests
 * fail in every way the proxy knows; then the faults stop and the backlog drains. CloudWatch's own
 * GetMetricStatistics must then hold every interval of every metric, with exactly the value
 * produced: nothing lost.
 *
 * What it cannot promise is "nothing doubled". PutMetricData has no idempotency token, so when
 * moto applied a request whose answer was lost (reset after the body, truncated response), the
 * SDK's own retry or the publisher sends it again and CloudWatch counts it twice: at-least-once
 * delivery. The suite therefore checks that every duplicate is a whole copy of a point (same
 * value) and that no point was counted more often than HTTP attempts carried it; sums lie
 * between what was produced and that plus every re-sent batch.
 *
 * Time inside the sink is virtual (interval ticks, backoff); the HTTP, the proxy's stalls and
 * moto are real. Skipped visibly without moto unless TVM_REQUIRE_TOOLS=1.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { createCloudWatchClient } from '../../src/sinks/cloudwatch/client.js';
import { CloudWatchSink } from '../../src/sinks/cloudwatch/sink.js';
import { openStateStore, type StateStore } from '../../src/state/store.js';
import { Telemetry } from '../../src/telemetry/events.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { attemptsPerPoint, minuteBuckets, pointId, recordingClient, type Bucket, type PointId, type RecordedSend } from '../support/chaos-cloudwatch.js';
import { recordChaosResult } from '../support/chaos-results.js';
import { FAULT_KINDS, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { motoUnavailableReason, startMoto, TEST_REGION, type S3TestServer } from '../support/s3-servers.js';
import { seededRandom } from '../support/seeded-random.js';
import { AsyncTimers, capturingLogger, testConfig } from '../unit/sinks/cloudwatch/helpers.js';
import { missingTool } from '../support/tools.js';

const MIN = 60_000;
const NS = 'TVM/Upload';
const VEHICLE = 'chaos-cw';
const SEED = Number(process.env.TVM_CHAOS_SEED ?? 20261130);
const FAULT_RATE = 0.4;
const FAULT_INTERVALS = 60;
const QUIET_INTERVALS = 5;
/** Shorter than the S3 suite's: any stall below the client's 30 s timeout only delays, so 1 s proves as much as 3. */
const STALL_MS = 1000;
/** The client's own retry (sinks/cloudwatch/client.ts: maxAttempts 2). */
const SDK_ATTEMPTS = 2;
const SUMS = ['BytesUploaded', 'BytesSent', 'FileCount', 'FailureCount'] as const;

describe(`chaos: CloudWatch sink → fault proxy (rate ${FAULT_RATE}, then 0) → moto`, function () {
  this.timeout(150_000);
  let moto: S3TestServer | null = null;
  let proxy: FaultProxy | null = null;
  let dir = '';
  let store: StateStore | null = null;
  const clients: CloudWatchClient[] = [];
  /** Value produced per point (metric × interval end). */
  const expected = new Map<PointId, number>();
  const buckets = new Map<PointId, Bucket>();
  let sends: RecordedSend[] = [];
  let start = 0;
  let end = 0;
  let recovered = 0;
  let backlog: number | null = null;

  before(async function () {
    moto = await startMoto();
    if (moto === null) {
      missingTool(this, 'moto', motoUnavailableReason() ?? 'moto_server did not start');
    }
    proxy = await startFaultProxy({ target: moto.endpoint, seed: SEED, faultRate: FAULT_RATE, stallMs: STALL_MS });
    dir = mkdtempSync(join(tmpdir(), 'tvm-chaos-cw-'));
    store = openStateStore({ dir, logger: silentLogger() });
    const cw = (endpoint: string): CloudWatchClient => {
      const c = createCloudWatchClient({ region: TEST_REGION, profile: null }, { AWS_ENDPOINT_URL_CLOUDWATCH: endpoint }, { credentials: moto!.credentials }).client;
      clients.push(c);
      return c;
    };
    const recording = recordingClient(cw(proxy.url), SDK_ATTEMPTS);
    sends = recording.sends;

    const wallStart = Date.now();
    start = Math.floor((Date.now() - 3 * 3_600_000) / MIN) * MIN;
    const timers = new AsyncTimers(start);
    const telemetry = new Telemetry(silentLogger());
    const log = capturingLogger();
    const rng = seededRandom(SEED);
    const sink = new CloudWatchSink({
      telemetry,
      outbox: store.outbox,
      config: { ...testConfig({ logDir: dir }), vehicleId: VEHICLE },
      logger: log.logger,
      client: recording.client,
      timers,
      random: () => rng.next(),
      alarms: false,
      diskProbe: null,
    });
    sink.start();
    expected.set(pointId('ServiceStartup', start), 1);
    await sink.settled();

    const interval = (i: number, busy: boolean): void => {
      const v = { BytesUploaded: 0, BytesSent: 0, FileCount: 0, FailureCount: 0 };
      for (let n = busy ? rng.int(6) : 0; n > 0; n--) {
        const sourceBytes = 1 + rng.int(5_000_000);
        const sentBytes = rng.int(sourceBytes);
        telemetry.emit({ type: 'file.uploaded', path: `/l/${i}-${n}.log`, key: 'k', source: 'ros', sourceBytes, sentBytes, codec: 'gzip', latencyMs: 5, remoteSkip: false });
        v.BytesUploaded += sourceBytes;
        v.BytesSent += sentBytes;
        v.FileCount += 1;
      }
      if (busy && rng.int(4) === 0) {
        telemetry.emit({ type: 'file.failed', path: '/l/x', key: null, code: 'X', message: 'm', attempts: 1, retryInMs: 0, retriability: 'retriable', hint: null });
        v.FailureCount += 1;
      }
      // Found already in S3: not an upload, counted nowhere.
      if (busy && rng.int(5) === 0) {
        telemetry.emit({ type: 'file.uploaded', path: '/l/skip', key: 'k', source: 'ros', sourceBytes: 999_999, sentBytes: 0, codec: 'gzip', latencyMs: 1, remoteSkip: true });
      }
      for (const m of SUMS) expected.set(pointId(m, start + i * MIN), v[m]);
    };

    let i = 0;
    for (; i < FAULT_INTERVALS + QUIET_INTERVALS; ) {
      if (i === FAULT_INTERVALS) proxy.setFaultRate(0);
      interval(++i, true);
      timers.advance(MIN);
      await sink.settled();
    }
    // Idle intervals (zeros are published too) until the backoff has expired and the backlog is sent.
    for (let extra = 0; extra < 40 && sink.status().backlog !== 0; extra++) {
      interval(++i, false);
      timers.advance(MIN);
      await sink.settled();
    }
    backlog = sink.status().backlog;
    recovered = log.matching(/CloudWatch publishing recovered/).length;
    await sink.close();
    end = start + i * MIN;

    const direct = cw(moto.endpoint);
    for (const metric of ['ServiceStartup', ...SUMS]) {
      const got = await minuteBuckets(direct, { namespace: NS, vehicleId: VEHICLE, metric, from: start, to: end + MIN });
      for (const [ts, b] of got) buckets.set(pointId(metric, ts), b);
    }
    const duplicated = [...buckets].filter(([, b]) => b.samples > 1);
    const result = {
      seed: SEED,
      faultRate: FAULT_RATE,
      intervals: i,
      wallMs: Date.now() - wallStart,
      proxy: proxy.stats(),
      sends: sends.length,
      failedSends: sends.filter((s) => !s.ok).length,
      sdkRetriedSends: sends.filter((s) => s.attempts > 1).length,
      duplicatedPoints: duplicated.length,
      /** How much each metric's CloudWatch sum exceeds what was produced. */
      overCountByMetric: Object.fromEntries(
        SUMS.map((m) => [m, duplicated.filter(([p]) => p.startsWith(`${m}@`)).reduce((n, [, b]) => n + (b.sum / b.samples) * (b.samples - 1), 0)]),
      ),
    };
    recordChaosResult('cloudwatch-moto', result);
    console.log(`      cloudwatch: ${JSON.stringify(result)}`);
  });

  after(async () => {
    for (const c of clients) c.destroy();
    store?.close();
    await proxy?.close();
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('went through every kind of fault, recovered, and emptied the outbox', () => {
    const stats = proxy!.stats();
    for (const kind of FAULT_KINDS) expect(stats.byKind[kind], `${kind} faults injected`).to.be.greaterThan(0);
    expect(sends.filter((s) => !s.ok).length, 'failed sends').to.be.greaterThan(0);
    expect(recovered, '"publishing recovered" log lines').to.be.at.least(1);
    expect(backlog, 'points left in the outbox').to.equal(0);
  });

  it('loses no point: every interval of every metric is in CloudWatch with the value produced', () => {
    const lost = [...expected.keys()].filter((p) => !buckets.has(p));
    expect(lost, 'points CloudWatch never received').to.deep.equal([]);
    const wrong = [...expected].filter(([p, v]) => buckets.has(p) && buckets.get(p)!.sum !== v * buckets.get(p)!.samples);
    expect(wrong.map(([p, v]) => `${p}: produced ${v}, got ${JSON.stringify(buckets.get(p))}`), 'points whose copies differ').to.deep.equal([]);
    const unknown = [...buckets.keys()].filter((p) => !expected.has(p));
    expect(unknown, 'points nobody produced').to.deep.equal([]);
  });

  it('counts a point twice only when an attempt carrying it lost its answer (at-least-once)', () => {
    const carried = attemptsPerPoint(sends);
    const over = [...buckets].filter(([p, b]) => b.samples > (carried.get(p) ?? 0));
    expect(over.map(([p, b]) => `${p}: ${b.samples} samples, ${carried.get(p) ?? 0} attempts`), 'points counted more often than sent').to.deep.equal([]);
    for (const metric of SUMS) {
      const ids = [...expected.keys()].filter((p) => p.startsWith(`${metric}@`));
      const produced = ids.reduce((n, p) => n + expected.get(p)!, 0);
      const total = ids.reduce((n, p) => n + (buckets.get(p)?.sum ?? 0), 0);
      const resent = ids.reduce((n, p) => n + expected.get(p)! * ((carried.get(p) ?? 1) - 1), 0);
      expect(total, `${metric} sum`).to.be.at.least(produced).and.at.most(produced + resent);
    }
  });
});
