/**
 * The real CLI as a child process against s3rver: check-config --probe, run, upload-now
 * (SIGUSR1), status while running, graceful SIGTERM, and a second instance refused.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { BIN, cliArgs, DaemonProcess } from '../../support/daemon-process.js';
import { childEnv } from '../../support/child-env.js';
import { heldConfigYaml } from '../../support/daemon-config.js';

describe('cli as a process (s3rver)', function () {
  this.timeout(120_000);
  let server: S3TestServer;
  let dir: string;
  let config: string;
  const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_PROFILE: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };

  before(async () => {
    server = await startS3rver();
    await server.bucket('tvm-cli');
  });
  after(() => server.stop());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-cli-run-'));
    config = join(dir, 'config.yaml');
    const yaml = (bucket: string) => heldConfigYaml({ root: dir, endpoint: server.endpoint, bucket, vehicleId: 'cli-proc', overrides: { upload: { file_stable_seconds: 0.5 } } });
    writeFileSync(config, yaml('tvm-cli'));
    writeFileSync(join(dir, 'missing-bucket.yaml'), yaml('no-such-bucket-here'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('bin/tvm-upload.js runs from a development checkout (sources through tsx)', async () => {
    const r = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, '--version'], { env: childEnv() });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (status) => resolve({ status, stdout }));
    });
    expect(r.status).to.equal(0);
    expect(r.stdout.trim()).to.match(/^\d+\.\d+\.\d+$/);
  });

  it('bin/tvm-upload.js keeps the code it compiled in Node\'s compile cache for the next run (Node >= 22.1)', async function () {
    if (typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache !== 'function') {
      console.log(`      (skipped: Node ${process.version} has no compile cache; CI's Node 24 pass runs this)`);
      this.skip();
    }
    // Node's default cache directory is under os.tmpdir(), so TMPDIR puts it where this test looks.
    const tmp = mkdtempSync(join(tmpdir(), 'tvm-compile-cache-'));
    try {
      const env = childEnv({ TMPDIR: tmp });
      delete env.NODE_COMPILE_CACHE;
      delete env.NODE_DISABLE_COMPILE_CACHE;
      const status = await new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, [BIN, '--version'], { env, stdio: 'ignore' });
        child.on('close', resolve);
      });
      expect(status).to.equal(0);
      const cache = join(tmp, 'node-compile-cache');
      const entries = existsSync(cache) ? readdirSync(cache, { recursive: true }) : [];
      expect(entries.length, `entries under ${cache}`).to.be.greaterThan(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  // Asynchronous on purpose: s3rver runs in this process, so a spawnSync would deadlock it.
  const cli = (...args: string[]) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, cliArgs(args), { env: childEnv(env) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('close', (status) => resolve({ status, stdout, stderr }));
    });

  it('check-config --probe reaches the bucket, and names a missing one', async () => {
    const ok = await cli('check-config', '--config', config, '--probe');
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.include('bucket probe OK');
    const missing = await cli('check-config', '--config', join(dir, 'missing-bucket.yaml'), '--probe');
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.include('no-such-bucket-here');
  });

  it('runs, holds files outside operational hours, uploads on upload-now, and stops on SIGTERM with exit 0', async () => {
    const d = DaemonProcess.start(['run', '--config', config], env);
    await d.waitFor((l) => l.msg === 'tvm-upload running', 'start');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(join(dir, 'logs', 'held.log'), 'held until upload-now\n');
    await d.waitFor((l) => l.msg === 'queued' || l.msg.includes('queued'), 'queued', 5_000).catch(() => undefined);
    // Wait until the file is recorded in the durable queue, visible through `status`.
    for (let i = 0; i < 100; i++) {
      const s = await cli('status', '--config', config, '--json');
      if (s.status === 0 && (JSON.parse(s.stdout) as { queued: number }).queued === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const status = JSON.parse((await cli('status', '--config', config, '--json')).stdout) as { queued: number; daemon: string };
    expect(status.queued).to.equal(1);
    expect(status.daemon).to.equal(`running (pid ${d.child.pid})`);
    expect(d.count((l) => l.msg === 'uploaded')).to.equal(0);

    const second = await cli('run', '--config', config);
    expect(second.status).to.equal(1);
    expect(second.stderr).to.include(`another tvm-upload (pid ${d.child.pid}) is using state dir`);

    const now = await cli('upload-now', '--config', config);
    expect(now.status, now.stderr).to.equal(0);
    const up = await d.waitFor((l) => l.msg === 'uploaded', 'the upload after upload-now');
    expect(up.key).to.match(/^cli-proc\/\d{4}-\d\d-\d\d\/ros\/held\.log(\.gz)?$/);

    d.kill('SIGTERM');
    const exit = await d.exited;
    expect(exit.code).to.equal(0);
    expect(d.count((l) => l.msg === 'tvm-upload stopped')).to.equal(1);
  });
});
