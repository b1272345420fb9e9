/**
 * The whole daemon, in process, against a real AWS account: S3 uploads (small files, a
 * multipart file, metadata, checksums, ETags, storage class, SSE) and CloudWatch (metrics,
 * the low-upload alarm). Opt-in: it runs only when TVM_E2E_BUCKET is set and otherwise skips
 * with one visible line. Every run uses its own prefix `e2e-<timestamp>-<random>/` and removes
 * what it created in `after()`, also when something failed. Verification uses the production
 * client factories, so it sees the account exactly as the daemon does. See test/e2e/README.md.
 *
 * The daemon runs once, in `before()`; the tests then inspect what it left in the account.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { createCloudWatchClient } from '../../src/sinks/cloudwatch/client.js';
import { createS3Client } from '../../src/sinks/s3/client.js';
import { cleanupRun, listKeys, listOpenUploads } from './cleanup.js';
import { DaemonRun } from './daemon-run.js';
import { configYaml, PART_SIZE, sha256Hex, writeFixtures, type FixtureFile } from './fixtures.js';
import { e2eSettingsOrSkip } from './gate.js';
import { clientEnv, runVehicleId, type E2eSettings } from './settings.js';
import { expectedMultipartEtag, getBody, head, listedMetrics, md5Hex, metricSum, pollUntil, sha256Base64, unquote } from './verify.js';

const NAMESPACE = 'TVM/Upload';
const UPLOAD_TIMEOUT_MS = 300_000;

describe('e2e: the daemon against real AWS (S3 + CloudWatch)', function () {
  let settings: E2eSettings;
  let config: Config;
  let vehicleId = '';
  let root: string | null = null;
  let s3: S3Client | null = null;
  let cw: CloudWatchClient | null = null;
  let run: DaemonRun | null = null;
  let files: FixtureFile[] = [];
  let startedAt = 0;
  let endedAt = 0;
  const stop = new AbortController();
  const bodies = new Map<string, Promise<Buffer>>();

  /** The stored (compressed) bytes of `f`, fetched once. */
  const stored = (f: FixtureFile): Promise<Buffer> => {
    let p = bodies.get(f.key);
    if (p === undefined) {
      p = getBody(s3!, settings.bucket, f.key);
      bodies.set(f.key, p);
    }
    return p;
  };
  const kms = (): boolean => settings.sse === 'aws:kms';
  const alarmNames = (): string[] => [`TVM-LowUpload-${vehicleId}`, `TVM-UploadFailures-${vehicleId}`];

  before(async function () {
    const found = e2eSettingsOrSkip();
    if (found === null) this.skip();
    settings = found;
    vehicleId = runVehicleId();
    const where = settings.endpoint === null ? `AWS ${settings.region}` : `SELF-TEST endpoint ${settings.endpoint} (not AWS)`;
    console.log(`    e2e: s3://${settings.bucket}/${vehicleId}/ on ${where}; storage class ${settings.storageClass ?? 'bucket default'}, SSE ${settings.sse ?? 'bucket default'}`);
    root = mkdtempSync(join(tmpdir(), 'tvm-e2e-'));
    config = parseConfig(configYaml({ vehicleId, root, ...settings }), { env: {} });
    const env = clientEnv(settings, process.env);
    s3 = createS3Client(config.s3, env).client;
    cw = createCloudWatchClient(config.s3, env).client;
    files = writeFixtures(root, vehicleId, Date.now());
    startedAt = Date.now();
    run = new DaemonRun({ config, env, logFile: settings.logFile });
    await run.start();
    await run.waitForUploads(files.length, UPLOAD_TIMEOUT_MS);
    await run.whenIdle();
    // Closing flushes the metrics outbox, so CloudWatch has every point of this run.
    await run.close();
    endedAt = Date.now();
  });

  after(async function () {
    this.timeout(300_000);
    stop.abort();
    await run?.close(5_000);
    try {
      if (s3 !== null && cw !== null && vehicleId !== '') {
        const report = await cleanupRun({ s3, cloudwatch: cw, bucket: settings.bucket, prefix: `${vehicleId}/`, alarmNames: alarmNames() });
        console.log(
          `    e2e cleanup of ${vehicleId}/: ${report.objectsDeleted} objects deleted, ${report.uploadsAborted} multipart uploads aborted, ` +
            `alarms deleted: ${report.alarmsDeleted.join(', ') || 'none'}; left over: ${report.leftOver}`,
        );
        if (report.problems.length > 0 || report.leftOver !== 0) {
          throw new Error(`e2e cleanup incomplete under s3://${settings.bucket}/${vehicleId}/: ${report.problems.join('; ') || `${report.leftOver} left over`}`);
        }
      }
    } finally {
      s3?.destroy();
      cw?.destroy();
      if (root !== null) rmSync(root, { recursive: true, force: true });
    }
  });

  describe('S3', function () {
    this.timeout(120_000);

    it('puts every file under <vehicle_id>/<local date>/<source>/<relPath>, with .gz when it compressed', async () => {
      expect(await listKeys(s3!, settings.bucket, `${vehicleId}/`)).to.deep.equal(files.map((f) => f.key).sort());
      expect(run!.uploaded.map((e) => e.key).sort()).to.deep.equal(files.map((f) => f.key).sort());
    });

    it('stores objects whose bytes, decompressed, have the SHA-256 of the source files', async () => {
      for (const f of files) {
        const body = await stored(f);
        expect(sha256Hex(f.gzip ? gunzipSync(body) : body), f.key).to.equal(f.sha256);
      }
    });

    it('sends the ~12 MB compressed file as a multipart upload of 5 MiB parts whose MD5s make its ETag', async () => {
      const big = files.find((f) => f.multipart)!;
      const body = await stored(big);
      expect(body.length, 'compressed size').to.be.within(10 * 1024 * 1024, 3 * PART_SIZE);
      const expected = expectedMultipartEtag(body, PART_SIZE);
      const whole = await head(s3!, settings.bucket, big.key);
      // With SSE-KMS the part MD5s are hidden in the ETag; only the part count shows.
      if (kms()) expect(unquote(whole.ETag)).to.match(new RegExp(`^[0-9a-f]{32}-${expected.parts}$`));
      else expect(unquote(whole.ETag)).to.equal(expected.etag);
      const first = await head(s3!, settings.bucket, big.key, 1);
      expect(first.ContentLength, 'part 1 size').to.equal(PART_SIZE);
      expect(first.PartsCount, 'parts').to.equal(expected.parts);
    });

    it('describes each object with its source SHA-256, size, mtime, codec, vehicle and original path', async () => {
      for (const f of files) {
        const h = await head(s3!, settings.bucket, f.key);
        const m = h.Metadata ?? {};
        expect(m['source-sha256'], f.key).to.equal(f.sha256);
        expect(m['source-size'], f.key).to.equal(String(f.body.length));
        expect(Date.parse(m['source-mtime'] ?? ''), `${f.key} source-mtime`).to.be.closeTo(f.mtimeMs, 1_000);
        expect(m.codec, f.key).to.equal(f.gzip ? 'gzip' : 'none');
        expect(decodeURIComponent(m['vehicle-id'] ?? ''), f.key).to.equal(vehicleId);
        expect(decodeURIComponent(m['original-path'] ?? ''), f.key).to.equal(f.path);
        expect(h.ContentType, f.key).to.equal('application/gzip');
        expect(h.ContentLength, f.key).to.equal((await stored(f)).length);
      }
    });

    it('proves single-request uploads end to end: S3 kept our SHA-256 checksum and the ETag is the MD5 of the stored bytes', async () => {
      let checksumNoted = false;
      for (const f of files.filter((x) => !x.multipart)) {
        const body = await stored(f);
        const h = await head(s3!, settings.bucket, f.key);
        // moto (the suite's self-test server) does not keep header checksums; AWS must.
        if (h.ChecksumSHA256 !== undefined || settings.endpoint === null) {
          expect(h.ChecksumSHA256, `${f.key} x-amz-checksum-sha256`).to.equal(sha256Base64(body));
        } else if (!checksumNoted) {
          checksumNoted = true;
          console.log('      (self-test server keeps no x-amz-checksum-sha256: checksum compared on AWS only)');
        }
        if (!kms()) expect(unquote(h.ETag), `${f.key} ETag`).to.equal(md5Hex(body));
      }
    });

    it('gives every object the configured storage class', async () => {
      for (const f of files) {
        const h = await head(s3!, settings.bucket, f.key);
        // S3 never reports STANDARD: the header is absent for it.
        if (settings.storageClass === null || settings.storageClass === 'STANDARD') expect(h.StorageClass ?? 'STANDARD', f.key).to.equal('STANDARD');
        else expect(h.StorageClass, f.key).to.equal(settings.storageClass);
      }
    });

    it('encrypts every object with the configured server-side encryption', async function () {
      if (settings.sse === null) {
        console.log('      (skipped: TVM_E2E_SSE is not set, objects use the bucket default)');
        this.skip();
      }
      for (const f of files) {
        const h = await head(s3!, settings.bucket, f.key);
        expect(h.ServerSideEncryption, f.key).to.equal(settings.sse);
        if (settings.kmsKeyId !== null) expect(h.SSEKMSKeyId ?? '', f.key).to.include(settings.kmsKeyId.replace(/^alias\//, ''));
      }
    });

    it('leaves no multipart upload open under the run prefix', async () => {
      expect(await listOpenUploads(s3!, settings.bucket, `${vehicleId}/`)).to.deep.equal([]);
    });
  });

  describe('CloudWatch', function () {
    const budget = (): number => settings.metricsWaitMs + 60_000;

    it('sums BytesUploaded and FileCount to what the daemon uploaded (GetMetricStatistics)', async function () {
      this.timeout(budget());
      const bytes = files.reduce((n, f) => n + f.body.length, 0);
      const q = { namespace: NAMESPACE, vehicleId, from: startedAt, to: endedAt };
      const seen = await pollUntil(
        async () => {
          const count = await metricSum(cw!, { ...q, metric: 'FileCount' });
          const uploaded = await metricSum(cw!, { ...q, metric: 'BytesUploaded' });
          return count.sum >= files.length && uploaded.sum >= bytes ? { files: count.sum, bytes: uploaded.sum } : null;
        },
        { timeoutMs: settings.metricsWaitMs, intervalMs: 15_000, what: `${NAMESPACE} FileCount/BytesUploaded statistics for VehicleId=${vehicleId}`, signal: stop.signal },
      );
      expect(seen).to.deep.equal({ files: files.length, bytes });
    });

    it('lists the TVM/Upload metrics under the run\'s VehicleId dimension (ListMetrics)', async function () {
      this.timeout(budget());
      const want = ['BytesSent', 'BytesUploaded', 'FailureCount', 'FileCount', 'ServiceStartup'];
      const names = await pollUntil(
        async () => {
          const listed = await listedMetrics(cw!, NAMESPACE, vehicleId);
          return want.every((w) => listed.includes(w)) ? listed : null;
        },
        { timeoutMs: settings.metricsWaitMs, intervalMs: 15_000, what: `ListMetrics ${NAMESPACE} ${want.join(',')} for VehicleId=${vehicleId}`, signal: stop.signal },
      );
      expect(names).to.include.members(want);
    });

    it('creates the TVM-LowUpload-<vehicle_id> alarm on BytesUploaded for this vehicle', async function () {
      this.timeout(120_000);
      const name = `TVM-LowUpload-${vehicleId}`;
      const alarm = await pollUntil(
        async () => (await cw!.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0] ?? null,
        { timeoutMs: 60_000, intervalMs: 5_000, what: `alarm ${name}`, signal: stop.signal },
      );
      expect(alarm).to.include({ AlarmName: name, MetricName: 'BytesUploaded', Namespace: NAMESPACE, ComparisonOperator: 'LessThanThreshold', ActionsEnabled: false });
      expect(alarm.Dimensions).to.deep.equal([{ Name: 'VehicleId', Value: vehicleId }]);
    });
  });
});
