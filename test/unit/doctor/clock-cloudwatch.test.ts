import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { openStateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { filesDiskIo, writeFile } from '../deletion/helpers.js';
import { expect } from 'chai';
import { clockSkewStep, MAX_SKEW_MS } from '../../../src/doctor/clock-skew.js';
import { cloudWatchAlarmsStep, cloudWatchPublishStep, PROBE_METRIC } from '../../../src/doctor/cloudwatch.js';
import { deletionDryRunStep } from '../../../src/doctor/deletion.js';
import { recordServerDates, ServerDateLog } from '../../../src/doctor/server-date.js';
import type { DoctorContext } from '../../../src/doctor/step.js';
import { awsError, context, fakeSend, NOW } from './helpers.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';
import { daemonConfigYaml, type ConfigTree } from '../../support/daemon-config.js';

function dates(serverMs: number, sentMs = NOW, receivedMs = NOW + 200): ServerDateLog {
  const log = new ServerDateLog();
  log.record(new Date(serverMs).toUTCString(), sentMs, receivedMs);
  return log;
}

describe('doctor/clock skew', () => {
  it('is in sync within the header\'s whole second and half the round trip', async () => {
    const r = await clockSkewStep.run(context({ serverDates: dates(NOW) }));
    expect(r).to.deep.equal({ status: 'pass', detail: 'this clock is in sync with the clock of AWS eu-west-1' });
  });

  it('says how far ahead or behind, and passes up to five minutes', async () => {
    expect((await clockSkewStep.run(context({ serverDates: dates(NOW - 90_000) }))).detail).to.equal('this clock is 90.1 s ahead of the clock of AWS eu-west-1');
    expect((await clockSkewStep.run(context({ serverDates: dates(NOW + 60_000) }))).detail).to.equal('this clock is 59.9 s behind the clock of AWS eu-west-1');
  });

  it('fails beyond five minutes with how to synchronise', async () => {
    const r = await clockSkewStep.run(context({ serverDates: dates(NOW - MAX_SKEW_MS - 5_000) }));
    expect(r.status).to.equal('fail');
    expect(r.fix).to.include('timedatectl');
  });

  it('fails when no answer carried a Date header', async () => {
    const r = await clockSkewStep.run(context());
    expect(r.status).to.equal('fail');
    expect(r.detail).to.equal('no answer from AWS eu-west-1 carried a Date header to compare with');
  });

  it('records the Date of answers and of error answers, ignoring missing or unparsable ones', async () => {
    let mw: ((next: (a: unknown) => Promise<unknown>) => (a: unknown) => Promise<unknown>) | undefined;
    const client = { middlewareStack: { add: (m: typeof mw) => void (mw = m) } } as unknown as Parameters<typeof recordServerDates>[0];
    let t = NOW;
    const log = recordServerDates(client, () => (t += 100));
    const ok = mw!(async () => ({ response: { headers: { date: 'Mon, 07 Dec 2026 10:00:00 GMT' } } }));
    await ok({});
    expect(log.last()).to.deep.equal({ serverMs: NOW, sentMs: NOW + 100, receivedMs: NOW + 200 });
    const failing = mw!(() => Promise.reject(Object.assign(new Error('403'), { $response: { headers: { date: 'Mon, 07 Dec 2026 10:01:00 GMT' } } })));
    await failing({}).catch(() => undefined);
    expect(log.last()!.serverMs).to.equal(NOW + 60_000);
    await mw!(async () => ({ response: { headers: { date: 'not a date' } } }))({});
    await mw!(async () => ({ response: {} }))({});
    await mw!(() => Promise.reject(null))({}).catch(() => undefined);
    expect(log.last()!.serverMs, 'unchanged by answers without a usable date').to.equal(NOW + 60_000);
  });
});

describe('doctor/CloudWatch', () => {
  const cw = (f: ReturnType<typeof fakeSend>) => f as unknown as DoctorContext['cloudWatch'];

  it('skips both steps when CloudWatch is disabled', async () => {
    expect((await cloudWatchPublishStep.run(context())).status).to.equal('skip');
    expect((await cloudWatchAlarmsStep.run(context())).detail).to.equal('monitoring.cloudwatch_enabled is false: nothing to check');
  });

  it('publishes one probe point with the vehicle dimension in the configured namespace', async () => {
    const f = fakeSend();
    const r = await cloudWatchPublishStep.run(context({ cloudWatch: cw(f) }));
    expect(r).to.deep.equal({ status: 'pass', detail: `a ${PROBE_METRIC} data point was accepted in namespace "TVM/Upload"` });
    const input = f.sent[0]!.input as { Namespace: string; MetricData: Array<{ Dimensions: unknown; Timestamp: Date }> };
    expect(input.Namespace).to.equal('TVM/Upload');
    expect(input.MetricData[0]!.Dimensions).to.deep.equal([{ Name: 'VehicleId', Value: 'car-7' }]);
    expect(input.MetricData[0]!.Timestamp.getTime()).to.equal(NOW);
  });

  it('fails a refused PutMetricData with the permission to grant, and an unreachable one with the endpoint to check', async () => {
    const denied = await cloudWatchPublishStep.run(context({ cloudWatch: cw(fakeSend({ PutMetricData: () => { throw awsError('AccessDenied', 403, 'not authorized to perform cloudwatch:PutMetricData'); } })) }));
    expect(denied.status).to.equal('fail');
    expect(denied.fix).not.to.include('AWS_ENDPOINT_URL_CLOUDWATCH');
    const down = await cloudWatchPublishStep.run(context({ cloudWatch: cw(fakeSend({ PutMetricData: () => { throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }); } })) }));
    expect(down.status).to.equal('fail');
    expect(down.fix).to.include('AWS_ENDPOINT_URL_CLOUDWATCH');
  });

  it('alarms: passes when both exist, fails naming the missing one, fails when DescribeAlarms is refused', async () => {
    const both = fakeSend({ DescribeAlarms: () => ({ MetricAlarms: [{ AlarmName: 'TVM-LowUpload-car-7' }, { AlarmName: 'TVM-UploadFailures-car-7' }] }) });
    expect(await cloudWatchAlarmsStep.run(context({ cloudWatch: cw(both) }))).to.deep.equal({ status: 'pass', detail: 'present: TVM-LowUpload-car-7, TVM-UploadFailures-car-7' });
    const one = fakeSend({ DescribeAlarms: () => ({ MetricAlarms: [{ AlarmName: 'TVM-LowUpload-car-7' }] }) });
    const r = await cloudWatchAlarmsStep.run(context({ cloudWatch: cw(one) }));
    expect(r).to.deep.include({ status: 'fail', detail: 'missing: TVM-UploadFailures-car-7; present: TVM-LowUpload-car-7' });
    const none = await cloudWatchAlarmsStep.run(context({ cloudWatch: cw(fakeSend({ DescribeAlarms: () => ({}) })) }));
    expect(none.detail).to.equal('missing: TVM-LowUpload-car-7, TVM-UploadFailures-car-7');
    const refused = await cloudWatchAlarmsStep.run(context({ cloudWatch: cw(fakeSend({ DescribeAlarms: () => { throw awsError('AccessDenied', 403); } })) }));
    expect(refused.status).to.equal('fail');
    expect(refused.detail).to.match(/^DescribeAlarms failed: /);
  });
});

describe('doctor/deletion dry run', () => {
  let root: string;
  beforeEach(() => (root = tempDir('tvm-doctor-del-')));
  afterEach(() => removeDir(root));
  const cfg = (deletion: ConfigTree = { after_upload: { enabled: true, keep_days: 0 } }): Config =>
    parseConfig(daemonConfigYaml({ root, bucket: 'tvm-bucket', vehicleId: 'car-7', overrides: { s3: { region: 'eu-west-1' }, deletion } }), { env: {} });

  it('is skipped, saying why, before the daemon has run once', async () => {
    expect(await deletionDryRunStep.run(context({ config: cfg() }))).to.deep.equal({ status: 'skip', detail: `no state database in ${root}/state yet: the daemon has not run` });
  });

  it('says what the policies would delete now, and deletes nothing', async () => {
    const c = cfg();
    const path = join(root, 'logs', 'old.log');
    const mtime = Date.now() - 3_600_000;
    writeFile(path, 1000, mtime);
    const store = openStateStore({ dir: c.stateDir, logger: silentLogger() });
    store.files.importUploaded({ path, source: 'ros', relPath: 'old.log', size: 1000, mtimeMs: mtime, uploadedAt: mtime, objectKey: 'k' });
    store.close();
    const r = await deletionDryRunStep.run(context({ config: c, diskIo: filesDiskIo(join(root, 'logs'), 1e9) }));
    expect(r).to.deep.equal({ status: 'pass', detail: 'would delete 1 files (1000 bytes) now: after_upload 1' });
    expect(existsSync(path)).to.equal(true);
  });

  it('says how many of them are not uploaded yet, and fails with a pointer when the dry run cannot run', async () => {
    const c = cfg({ age_based: { enabled: true, max_age_days: 1, include_not_uploaded: true } });
    const path = join(root, 'logs', 'never-sent.log');
    const mtime = Date.now() - 3 * 86_400_000;
    writeFile(path, 500, mtime);
    const store = openStateStore({ dir: c.stateDir, logger: silentLogger() });
    store.files.enqueue({ path, source: 'ros', relPath: 'never-sent.log', size: 500, mtimeMs: mtime }, mtime);
    store.close();
    const r = await deletionDryRunStep.run(context({ config: c, diskIo: filesDiskIo(join(root, 'logs'), 1e9) }));
    expect(r).to.deep.equal({ status: 'pass', detail: 'would delete 1 files (500 bytes) now: age_based 1; 1 of them not uploaded yet (disk pressure or include_not_uploaded)' });
    writeFileSync(join(c.stateDir, 'tvm-upload.db'), 'not a database, garbage bytes '.repeat(200));
    for (const suffix of ['-wal', '-shm']) rmSync(join(c.stateDir, `tvm-upload.db${suffix}`), { force: true });
    const broken = await deletionDryRunStep.run(context({ config: c }));
    expect(broken.status).to.equal('fail');
    expect(broken.detail).to.match(/^the deletion dry run failed: /);
    expect(broken.fix).to.equal('run `tvm-upload cleanup --dry-run` for details');
  });
});
