/**
 * The e2e suite's own cleanup, against the same account (opt-in like aws.test.ts): it must
 * remove objects in batches, multipart uploads left open (as a crash or a timed-out hook leaves
 * them) and the vehicle's alarms, and nothing outside `<vehicle_id>/`, with exactly the
 * permissions test/e2e/iam-policy-e2e.json grants. A cleanup that silently left things behind
 * would cost money run after run, so it is tested rather than trusted.
 */
import { expect } from 'chai';
import { CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { S3Config } from '../../src/config/types.js';
import { ensureAlarms, lowUploadAlarmName, uploadFailuresAlarmName } from '../../src/sinks/cloudwatch/alarms.js';
import { createCloudWatchClient } from '../../src/sinks/cloudwatch/client.js';
import { createS3Client } from '../../src/sinks/s3/client.js';
import { cleanupRun, listKeys, listOpenUploads } from './cleanup.js';
import { e2eSettingsOrSkip } from './gate.js';
import { clientEnv, runVehicleId, type E2eSettings } from './settings.js';

describe('e2e: the suite\'s cleanup against the real account', function () {
  this.timeout(180_000);
  let settings: E2eSettings;
  let s3: S3Client | null = null;
  let cw: CloudWatchClient | null = null;
  const vehicleId = runVehicleId();
  const prefix = `${vehicleId}/`;
  // Shares the run id as a string prefix but not the folder: cleanup must not touch it.
  const neighbour = `${vehicleId}-neighbour/keep.txt`;
  const alarms = [lowUploadAlarmName(vehicleId), uploadFailuresAlarmName(vehicleId)];

  before(function () {
    const found = e2eSettingsOrSkip();
    if (found === null) this.skip();
    settings = found;
    const s3Config: S3Config = {
      bucket: settings.bucket,
      region: settings.region,
      profile: settings.profile,
      endpoint: null,
      forcePathStyle: false,
      conditionalWrites: true,
      storageClass: null,
      serverSideEncryption: null,
      kmsKeyId: null,
    };
    const env = clientEnv(settings, process.env);
    s3 = createS3Client(s3Config, env).client;
    cw = createCloudWatchClient(s3Config, env).client;
  });

  after(async () => {
    try {
      // Whatever a failed test left: the neighbour lives under its own prefix.
      if (s3 !== null && cw !== null) {
        for (const p of [prefix, `${vehicleId}-neighbour/`]) await cleanupRun({ s3, cloudwatch: cw, bucket: settings.bucket, prefix: p, alarmNames: alarms });
      }
    } finally {
      s3?.destroy();
      cw?.destroy();
    }
  });

  it('removes objects in batches, open multipart uploads and the alarms under the prefix, and nothing beside it', async () => {
    const bucket = settings.bucket;
    const keys = ['a.log.gz', 'b.log.gz', 'nested/c.log.gz', 'nested/deeper/d.log.gz', 'e.gz'].map((k) => `${prefix}2026-11-30/ros/${k}`);
    for (const Key of [...keys, neighbour]) await s3!.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `body of ${Key}` }));
    const open = await s3!.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${prefix}2026-11-30/ros/interrupted.log.gz` }));
    await s3!.send(new UploadPartCommand({ Bucket: bucket, Key: `${prefix}2026-11-30/ros/interrupted.log.gz`, UploadId: open.UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 7) }));
    const made = await ensureAlarms(cw!, { vehicleId, namespace: 'TVM/Upload', uploadFailuresThreshold: 10 });
    expect(made.created).to.deep.equal(alarms);
    expect(await listOpenUploads(s3!, bucket, prefix)).to.have.length(1);

    const report = await cleanupRun({ s3: s3!, cloudwatch: cw!, bucket, prefix, alarmNames: alarms, batchSize: 2 });

    expect(report).to.deep.include({ objectsDeleted: 5, deleteRequests: 3, uploadsAborted: 1, leftOver: 0, problems: [] });
    expect([...report.alarmsDeleted].sort()).to.deep.equal([...alarms].sort());
    expect(await listKeys(s3!, bucket, prefix)).to.deep.equal([]);
    expect(await listOpenUploads(s3!, bucket, prefix)).to.deep.equal([]);
    expect(await listKeys(s3!, bucket, `${vehicleId}-neighbour/`)).to.deep.equal([neighbour]);
    // A second run finds nothing and reports no problem (DeleteAlarms on absent names would fail).
    expect(await cleanupRun({ s3: s3!, cloudwatch: cw!, bucket, prefix, alarmNames: alarms })).to.deep.include({
      objectsDeleted: 0,
      uploadsAborted: 0,
      alarmsDeleted: [],
      leftOver: 0,
      problems: [],
    });
  });

  it('refuses a prefix that is not a folder of the bucket', async () => {
    let error: unknown = null;
    await cleanupRun({ s3: s3!, cloudwatch: cw!, bucket: settings.bucket, prefix: vehicleId, alarmNames: [] }).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/refusing to clean up prefix/);
  });
});
