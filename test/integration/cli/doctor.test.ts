/**
 * `tvm-upload doctor` against real servers on loopback: every step passes against s3rver (and
 * against moto with CloudWatch on, alarms created first), and the right ✘ line appears for a
 * missing bucket, wrong credentials and a directory the service user cannot read. Commands run
 * in process (doctorCommand with the server's credentials); one run goes through the real CLI
 * as a child process, where the credentials come from the environment like in production.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { doctorCommand, type DoctorDeps } from '../../../src/cli/doctor.js';
import { createCloudWatchClient } from '../../../src/sinks/cloudwatch/client.js';
import { ensureAlarms } from '../../../src/sinks/cloudwatch/alarms.js';
import type { DoctorJson } from '../../../src/doctor/report.js';
import { motoUnavailableReason, startMoto, startS3rver, TEST_REGION, type S3TestServer } from '../../support/s3-servers.js';
import { BIN } from '../../support/daemon-process.js';
import { childEnv } from '../../support/child-env.js';
import { captureIo } from '../../support/cli-fixtures.js';
import { missingTool } from '../../support/tools.js';
import { asUnprivileged, localUser } from '../../support/unprivileged.js';
import { daemonConfigYaml } from '../../support/daemon-config.js';

const BUCKET = 'tvm-doctor';
const VID = 'doctor-car';

const io = captureIo;

/** The JSON report of one in-process run, with its exit code. */
async function doctorJson(config: string, deps: DoctorDeps, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; doc: DoctorJson }> {
  const t = io(env);
  const code = await doctorCommand(t.cli, { config, json: true }, deps);
  return { code, doc: JSON.parse(t.out()) as DoctorJson };
}

const step = (doc: DoctorJson, id: string) => {
  const s = doc.steps.find((x) => x.id === id);
  if (s === undefined) throw new Error(`no step ${id} in ${JSON.stringify(doc.steps.map((x) => x.id))}`);
  return s;
};

describe('cli doctor against real servers', function () {
  this.timeout(120_000);
  let dir: string;

  const writeConfig = (server: S3TestServer, o: { bucket?: string; cloudwatch?: boolean; allowDeletion?: boolean } = {}): string => {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    const directories = [
      { path: `${dir}/logs/ros`, source: 'ros', allow_deletion: o.allowDeletion ?? false },
      { path: `${dir}/logs/not-yet`, source: 'later' },
    ];
    // The reference's default deletion policies (the base turns them off): the deletion step dry-runs them.
    const overrides = {
      s3: { region: TEST_REGION },
      deletion: undefined,
      disk: { reserved_gb: 0.001, warning_threshold: 0.98, critical_threshold: 0.99 },
      monitoring: { cloudwatch_enabled: o.cloudwatch ?? false },
    };
    writeFileSync(file, daemonConfigYaml({ root: dir, endpoint: server.endpoint, bucket: o.bucket ?? BUCKET, vehicleId: VID, directories, overrides }));
    return file;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-doctor-'));
    mkdirSync(join(dir, 'logs/ros'), { recursive: true });
  });
  afterEach(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  describe('s3rver', () => {
    let server: S3TestServer;
    before(async () => {
      server = await startS3rver();
      await server.bucket(BUCKET);
    });
    after(() => server.stop());

    it('passes every step, leaves no probe object behind and exits 0', async () => {
      const { code, doc } = await doctorJson(writeConfig(server, { allowDeletion: true }), { credentials: server.credentials });
      const failed = doc.steps.filter((s) => s.status === 'fail');
      expect(failed, JSON.stringify(failed)).to.deep.equal([]);
      expect(code).to.equal(0);
      expect(doc.ok).to.equal(true);
      expect(step(doc, 'credentials').detail).to.equal('credentials given in code: key …');
      expect(step(doc, 's3-writable').detail).to.include(`s3://${BUCKET}/${VID}/.tvm-upload-doctor/write-`);
      expect(step(doc, 's3-checksum').detail).to.include('body stored byte for byte');
      expect(step(doc, 'clock-skew').detail).to.include('in sync');
      expect(step(doc, 'cloudwatch-publish')).to.include({ status: 'skip' });
      expect(step(doc, 'directory-0').detail).to.match(/^readable and writable/);
      expect(step(doc, 'directory-1').detail).to.match(/^does not exist yet/);
      expect(step(doc, 'disk').detail).to.include(`${dir}/state`);
      expect(step(doc, 'deletion-dry-run')).to.deep.include({ status: 'skip', detail: `no state database in ${dir}/state yet: the daemon has not run` });
      const left = await server.client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${VID}/` }));
      expect(left.KeyCount ?? 0, 'probe objects left in the bucket').to.equal(0);
    });

    it('prints one ✔ line per step and a ready summary', async () => {
      const t = io();
      expect(await doctorCommand(t.cli, { config: writeConfig(server) }, { credentials: server.credentials })).to.equal(0);
      const lines = t.out().split('\n');
      expect(lines[0]).to.match(/^tvm-upload doctor: .*\(vehicle doctor-car, bucket tvm-doctor\)$/);
      expect(lines.filter((l) => l.startsWith('✔ ')).map((l) => l.split(':')[0])).to.include.members(['✔ AWS credentials', '✔ S3 bucket reachable', '✔ S3 bucket writable', '✔ S3 checksum mode', '✔ clock skew', '✔ disk usage']);
      expect(lines.some((l) => l.startsWith('✘'))).to.equal(false);
      expect(lines.at(-1)).to.match(/^\d+ passed, 0 failed, 3 skipped: ready$/);
    });

    it('fails "S3 bucket reachable" for a missing bucket, naming it with the fix, and skips the write steps', async () => {
      const t = io();
      const code = await doctorCommand(t.cli, { config: writeConfig(server, { bucket: 'no-such-bucket' }) }, { credentials: server.credentials });
      expect(code).to.equal(1);
      const text = t.out();
      expect(text).to.match(/✘ S3 bucket reachable: bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+\n {4}fix: create the bucket, or fix s3\.bucket/);
      expect(text).to.include('– S3 bucket writable: not run: "S3 bucket reachable" did not pass');
      expect(text, 'the 404 answer carried the Date the clock is compared with').to.match(/✔ clock skew: this clock is in sync with the clock of http:\/\/127\.0\.0\.1:\d+/);
      expect(text).to.match(/NOT ready, fix the ✘ lines above$/);
    });

    it('fails on wrong credentials with the credentials fix', async () => {
      const { code, doc } = await doctorJson(writeConfig(server), { credentials: { accessKeyId: 'WRONGKEY1234', secretAccessKey: 'wrong' } });
      expect(code).to.equal(1);
      expect(step(doc, 'credentials').status, 'credentials were found; they are just wrong').to.equal('pass');
      const s = step(doc, 's3-reachable');
      expect(s.status).to.equal('fail');
      expect(s.detail).to.match(/refused \(403\)|credentials/);
      expect(s.fix).to.match(/credentials/);
    });

    it('fails a watched directory the service user cannot read', async function () {
      const nobody = localUser('nobody');
      if (nobody === null) missingTool(this, 'the nobody user', 'there is no user nobody to run as');
      chmodSync(dir, 0o755);
      chmodSync(join(dir, 'logs'), 0o755);
      chmodSync(join(dir, 'logs/ros'), 0o700);
      const config = writeConfig(server);
      chmodSync(config, 0o644);
      const { code, doc } = await asUnprivileged(nobody!, () => doctorJson(config, { credentials: server.credentials, runningAsRoot: false }));
      expect(code).to.equal(1);
      const s = step(doc, 'directory-0');
      expect(s).to.include({ status: 'fail', detail: `${dir}/logs/ros cannot be read (EACCES)` });
      expect(s.fix).to.include(`read and execute permission on ${dir}/logs/ros`);
      expect(step(doc, 'directory-1').status, 'the steps after it still run').to.equal('pass');
    });

    it('runs as the real CLI with credentials from the environment and exits 0', async () => {
      const config = writeConfig(server);
      const env = { ...childEnv(), AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_PROFILE: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
      const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'doctor', '--config', config], { env });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      });
      expect(r.status, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/✔ AWS credentials: environment variables \(AWS_ACCESS_KEY_ID\): key …\n/);
    });
  });

  describe('moto (S3 and CloudWatch)', () => {
    let moto: S3TestServer;
    before(async function () {
      const started = await startMoto();
      if (started === null) missingTool(this, 'moto', motoUnavailableReason() ?? 'moto_server did not start');
      moto = started;
      await moto.bucket(BUCKET);
    });
    after(() => moto?.stop());

    const env = (): NodeJS.ProcessEnv => ({ AWS_ENDPOINT_URL_CLOUDWATCH: moto.endpoint });

    it('fails "CloudWatch alarms" until the alarms exist, then passes every step', async () => {
      const config = writeConfig(moto, { cloudwatch: true });
      const first = await doctorJson(config, { credentials: moto.credentials }, env());
      expect(step(first.doc, 'cloudwatch-publish').status).to.equal('pass');
      const alarms = step(first.doc, 'cloudwatch-alarms');
      expect(alarms.status).to.equal('fail');
      expect(alarms.detail).to.include(`TVM-LowUpload-${VID}`);
      expect(alarms.fix).to.include('start the daemon once');
      expect(first.code).to.equal(1);

      const cw = createCloudWatchClient({ region: TEST_REGION, profile: null }, env(), { credentials: moto.credentials }).client;
      try {
        await ensureAlarms(cw, { vehicleId: VID, namespace: 'TVM/Upload', uploadFailuresThreshold: 10 });
      } finally {
        cw.destroy();
      }
      const second = await doctorJson(config, { credentials: moto.credentials }, env());
      const failed = second.doc.steps.filter((s) => s.status === 'fail');
      expect(failed, JSON.stringify(failed)).to.deep.equal([]);
      expect(second.code).to.equal(0);
      expect(step(second.doc, 's3-checksum').detail).to.include('does not verify Content-MD5');
    });
  });
});
