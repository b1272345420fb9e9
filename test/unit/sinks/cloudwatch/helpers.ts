/**
 * Shared set-up for the CloudWatch sink tests: the SDK client mocked per describe block, a
 * capturing logger, an in-memory outbox with the OutboxRepo contract (plus fault injection),
 * virtual timers that also let pending promises run, a resolved Config, and SDK-shaped errors.
 */
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { CloudWatchClient, CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import { createCloudWatchClient } from '../../../../src/sinks/cloudwatch/client.js';
import type { Config } from '../../../../src/config/types.js';
import type { MetricDatum, OutboxEntry } from '../../../../src/state/types.js';
import type { MetricsOutbox } from '../../../../src/sinks/cloudwatch/metrics-publisher.js';
import { ManualTimers } from '../../../support/fakes.js';
import { capturingLogger, type CapturedLogger } from '../../../support/capturing-logger.js';

export interface CloudWatchMock {
  /** The stub every CloudWatchClient sends through while the describe block runs. */
  readonly cw: AwsClientStub<CloudWatchClient>;
  /** A client built by the production factory (test credentials), answering through `cw`. */
  readonly client: CloudWatchClient;
}

/**
 * Mocks the CloudWatch SDK for the calling describe block: created in before() (never at load
 * time, where it would mock the client for every other file), reset before each test, restored
 * after. `use` receives the stub and client once they exist.
 */
export function useCloudWatchMock(use: (mock: CloudWatchMock) => void): void {
  let mock: CloudWatchMock | null = null;
  before(() => {
    const cw = mockClient(CloudWatchClient);
    const { client } = createCloudWatchClient({ region: 'us-east-1', profile: null }, {}, { credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    mock = { cw, client };
    use(mock);
  });
  after(() => {
    mock?.cw.restore();
    mock?.client.destroy();
  });
  beforeEach(() => mock?.cw.reset());
}

export const DAY = 86_400_000;
/** 2026-11-30T00:00:00Z: a realistic epoch so 14-day rules behave as in production. */
export const T0 = Date.UTC(2026, 10, 30, 0, 0, 0);

export { capturingLogger, type CapturedLogger };

/** Lets queued promise callbacks and I/O callbacks run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Virtual time that also gives async work started by fired timers a chance to run. */
export class AsyncTimers extends ManualTimers {
  async advanceAsync(ms: number, step = ms): Promise<void> {
    for (let done = 0; done < ms; done += step) {
      this.advance(Math.min(step, ms - done));
      await settle();
    }
  }
}

export class MemoryOutbox implements MetricsOutbox {
  rows: OutboxEntry[] = [];
  private seq = 0;
  failNext: { op: 'add' | 'peek' | 'ack' | 'count' | 'drop'; err: Error } | null = null;
  acked: number[][] = [];

  add(data: MetricDatum | readonly MetricDatum[]): void {
    this.maybeFail('add');
    const list = Array.isArray(data) ? (data as readonly MetricDatum[]) : [data as MetricDatum];
    for (const d of list) this.rows.push({ ...d, id: ++this.seq });
  }
  peek(limit: number): OutboxEntry[] {
    this.maybeFail('peek');
    return this.rows.slice(0, limit);
  }
  ack(ids: readonly number[]): void {
    this.maybeFail('ack');
    this.acked.push([...ids]);
    const s = new Set(ids);
    this.rows = this.rows.filter((r) => !s.has(r.id));
  }
  count(): number {
    this.maybeFail('count');
    return this.rows.length;
  }
  dropOlderThan(cutoffMs: number): number {
    this.maybeFail('drop');
    const before = this.rows.length;
    this.rows = this.rows.filter((r) => r.timestamp >= cutoffMs);
    return before - this.rows.length;
  }
  private maybeFail(op: NonNullable<MemoryOutbox['failNext']>['op']): void {
    if (this.failNext?.op === op) {
      const { err } = this.failNext;
      this.failNext = null;
      throw err;
    }
  }
}

export function points(n: number, timestamp: number, name = 'BytesUploaded', unit: MetricDatum['unit'] = 'Bytes'): MetricDatum[] {
  return Array.from({ length: n }, (_, i) => ({ name, unit, value: i + 1, timestamp }));
}

/** An error as the CloudWatch client throws it for a service answer. */
export function serviceError(name: string, status: number, message = name): CloudWatchServiceException {
  return new CloudWatchServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, requestId: 'req-1' }, message });
}

export function netError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
}

export function testConfig(over: { publishIntervalSeconds?: number; cloudwatchEnabled?: boolean; logDir?: string } = {}): Pick<
  Config,
  'vehicleId' | 'monitoring' | 's3' | 'logDirectories'
> {
  return {
    vehicleId: 'vehicle-7',
    monitoring: {
      cloudwatchEnabled: over.cloudwatchEnabled ?? true,
      namespace: 'TVM/Upload',
      publishIntervalSeconds: over.publishIntervalSeconds ?? 60,
      http: { enabled: false, listen: '127.0.0.1:9464' },
      alarms: { lowUploadThresholdMb: 100, evaluationPeriods: 3, uploadFailuresThreshold: 10, backlogThresholdHours: 24 },
    },
    s3: {
      bucket: 'b',
      region: 'us-east-1',
      profile: null,
      endpoint: null,
      forcePathStyle: false,
      conditionalWrites: true,
      storageClass: null,
      serverSideEncryption: null,
      kmsKeyId: null,
    },
    logDirectories: [
      { path: over.logDir ?? '/nonexistent/tvm/logs', source: 'ros', recursive: true, pattern: null, allowDeletion: false, legacy: false },
    ],
  };
}
