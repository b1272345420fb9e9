/**
 * `tvm-upload upload-now` as a process against s3rver: the one-shot without a daemon (all
 * eligible uploaded, --json counts, nothing twice, S3 down, dry run, Ctrl-C), following a
 * running daemon's pass, and two one-shots at once.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { cliArgs, DaemonProcess } from '../../support/daemon-process.js';
import { childEnv } from '../../support/child-env.js';
import { freePort } from '../../support/ports.js';
import { heldConfigYaml, type ConfigTree } from '../../support/daemon-config.js';
import { StateReader } from '../../../src/state/state-reader.js';
import { parseUploadPass, UPLOAD_PASS_META_KEY } from '../../../src/telemetry/upload-pass.js';
import { LOCK_FILE } from '../../../src/state/lock.js';

interface Summary {
  mode: string;
  uploaded: number;
  bytes: number;
  failed: Array<{ path: string; code: string; error: string; attempts: number }>;
  remaining: number;
}

describe('cli upload-now (s3rver)', function () {
  this.timeout(180_000);
  let server: S3TestServer;
  let dir: string;
  let bucketN = 0;
  let bucket: string;
  const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_PROFILE: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };

  before(async () => {
    server = await startS3rver();
  });
  after(() => server.stop());
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-upload-now-'));
    bucket = `tvm-now-${++bucketN}`;
    await server.bucket(bucket);
    mkdirSync(join(dir, 'logs', 'sub'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A config whose schedule and hours would hold every file: the one-shot ignores both. */
  function writeConfig(o: { endpoint?: string; upload?: ConfigTree } = {}): string {
    const file = join(dir, 'config.yaml');
    const upload = { retry: { base_seconds: 0.1, max_seconds: 0.5 }, ...o.upload };
    const directories = [{ path: `${dir}/logs`, source: 'ros', pattern: '*.log' }];
    writeFileSync(file, heldConfigYaml({ root: dir, endpoint: o.endpoint ?? server.endpoint, bucket, vehicleId: 'now-test', directories, overrides: { upload } }));
    return file;
  }

  function start(...args: string[]): { child: ChildProcess; done: Promise<{ status: number | null; stdout: string; stderr: string }> } {
    const child = spawn(process.execPath, cliArgs(args), { env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
    return { child, done };
  }
  const cli = (...args: string[]) => start(...args).done;

  async function objects(): Promise<string[]> {
    const client = server.client();
    try {
      const out = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (out.Contents ?? []).map((o) => o.Key!).sort();
    } finally {
      client.destroy();
    }
  }

  function logs(names: string[], bytes = 2000): void {
    for (const n of names) writeFileSync(join(dir, 'logs', n), 'x'.repeat(bytes));
  }

  async function waitUntil(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('with no daemon: uploads every eligible file ignoring schedule and hours, exit 0, --json counts; a second run uploads nothing', async () => {
    const config = writeConfig();
    logs(['a.log', 'b.log', 'sub/c.log', 'ignored.txt']);
    await new Promise((r) => setTimeout(r, 300));
    const first = await cli('upload-now', '--config', config, '--json');
    expect(first.status, first.stderr).to.equal(0);
    const s = JSON.parse(first.stdout) as Summary;
    expect(s).to.deep.include({ mode: 'one-shot', uploaded: 3, bytes: 6000, failed: [], remaining: 0 });
    const keys = await objects();
    expect(keys).to.have.length(3);
    expect(keys.every((k) => /^now-test\/\d{4}-\d\d-\d\d\/ros\/(sub\/)?[abc]\.log\.gz$/.test(k)), keys.join()).to.equal(true);
    expect(existsSync(join(dir, 'state', LOCK_FILE)), 'the lock is released').to.equal(false);

    const second = await cli('upload-now', '--config', config, '--json');
    expect(second.status, second.stderr).to.equal(0);
    expect(JSON.parse(second.stdout) as Summary).to.deep.include({ uploaded: 0, failed: [], remaining: 0 });
    expect(await objects()).to.have.length(3);

    // The daemon's own start finds everything recorded: status shows nothing queued.
    const status = JSON.parse((await cli('status', '--config', config, '--json')).stdout) as { queued: number; uploaded: number; last24h: { uploads: number } };
    expect(status).to.deep.include({ queued: 0, uploaded: 3 });
    expect(status.last24h.uploads).to.equal(3);
  });

  it('prints one line per uploaded file when not on a terminal', async () => {
    const config = writeConfig();
    logs(['one.log', 'two.log']);
    await new Promise((r) => setTimeout(r, 300));
    const r = await cli('upload-now', '--config', config);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/uploaded .*one\.log → now-test\/.*one\.log\.gz \(/);
    expect(r.stdout).to.match(/uploaded .*two\.log → /);
    expect(r.stdout).to.include('uploaded 2 file(s)');
  });

  it('--dry-run lists target keys and sizes and uploads nothing', async () => {
    const config = writeConfig();
    logs(['a.log', 'b.log']);
    await new Promise((r) => setTimeout(r, 300));
    const r = await cli('upload-now', '--config', config, '--dry-run', '--json');
    expect(r.status, r.stderr).to.equal(0);
    const plan = JSON.parse(r.stdout) as { count: number; bytes: number; files: Array<{ path: string; key: string; size: number }> };
    expect(plan.count).to.equal(2);
    expect(plan.bytes).to.equal(4000);
    expect(plan.files.map((f) => f.key).sort()).to.satisfy((k: string[]) => k.every((x) => /^now-test\/\d{4}-\d\d-\d\d\/ros\/[ab]\.log\.gz$/.test(x)));
    expect(await objects()).to.have.length(0);
    const text = await cli('upload-now', '--config', config, '--dry-run');
    expect(text.stdout).to.include(`s3://${bucket}/now-test/`);
    expect(text.stdout).to.include('dry run: 2 file(s)');
  });

  it('with S3 down: exit 1, every failure listed with its reason, nothing lost', async () => {
    const config = writeConfig({ endpoint: `http://127.0.0.1:${await freePort()}` });
    logs(['a.log', 'b.log']);
    await new Promise((r) => setTimeout(r, 300));
    const r = await cli('upload-now', '--config', config, '--json');
    expect(r.status, r.stderr).to.equal(1);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.uploaded).to.equal(0);
    expect(s.failed.map((f) => f.path.split('/').pop()).sort()).to.deep.equal(['a.log', 'b.log']);
    for (const f of s.failed) {
      expect(f.code).to.match(/^TVM_ERR_/);
      expect(f.error).to.be.a('string').and.not.equal('');
    }
    const text = await cli('upload-now', '--config', config);
    expect(text.status).to.equal(1);
    expect(text.stdout).to.match(/FAILED .*a\.log: TVM_ERR_\w+: /);
    const status = JSON.parse((await cli('status', '--config', config, '--json')).stdout) as { queued: number };
    expect(status.queued, 'both files stay queued').to.equal(2);
  });

  it('with a daemon running: asks it, waits for the pass and reports it', async () => {
    const config = writeConfig();
    const d = DaemonProcess.start(['run', '--config', config], env);
    try {
      await d.waitFor((l) => l.msg === 'tvm-upload running', 'start');
      logs(['held.log']);
      await waitUntil(async () => {
        const s = await cli('status', '--config', config, '--json');
        return s.status === 0 && (JSON.parse(s.stdout) as { queued: number }).queued === 1;
      }, 'the file to be queued (and held: outside operational hours)');
      const r = await cli('upload-now', '--config', config, '--json');
      expect(r.status, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout) as Summary).to.deep.include({ mode: 'daemon', uploaded: 1, failed: [], remaining: 0 });
      expect(await objects()).to.have.length(1);
      const noWait = await cli('upload-now', '--config', config, '--no-wait');
      expect(noWait.status).to.equal(0);
      expect(noWait.stdout).to.include(`upload pass requested from tvm-upload (pid ${d.child.pid})`);
    } finally {
      d.kill('SIGTERM');
      await d.exited;
    }
  });

  it('reports a daemon that dies during the pass it was asked for: exit 1, the files stay queued', async () => {
    const config = writeConfig({ upload: { bandwidth: { max_mbps: 0.5 } } });
    const d = DaemonProcess.start(['run', '--config', config], env);
    try {
      await d.waitFor((l) => l.msg === 'tvm-upload running', 'start');
      for (let i = 0; i < 3; i++) writeFileSync(join(dir, 'logs', `r${i}.log`), randomBytes(300_000));
      await waitUntil(async () => {
        const s = await cli('status', '--config', config, '--json');
        return s.status === 0 && (JSON.parse(s.stdout) as { queued: number }).queued === 3;
      }, 'the files to be queued');
      const asking = start('upload-now', '--config', config);
      await d.waitFor((l) => l.msg === 'upload pass requested' && l.signal === 'SIGUSR1', 'the request');
      d.kill('SIGKILL');
      const r = await asking.done;
      expect(r.status).to.equal(1);
      expect(r.stderr).to.include(`tvm-upload (pid ${d.child.pid}) stopped before the upload pass finished`);
    } finally {
      d.kill('SIGKILL');
      await d.exited;
    }
    const status = JSON.parse((await cli('status', '--config', config, '--json')).stdout) as { queued: number; inFlight: number; uploaded: number };
    expect(status.queued + status.inFlight + status.uploaded).to.equal(3);
  });

  it('two one-shots at once: the second says the store is busy; nothing is uploaded twice', async () => {
    // 5 × 200 KB of incompressible data at 0.5 Mbit/s keeps the first one busy for ~16 s, longer
    // than the second CLI takes to start even on a loaded machine. Once the second has answered,
    // the first is stopped (1 s deadline) and a third, unthrottled, finishes the queue: each
    // file must then be in the bucket exactly once, whichever one-shot sent it.
    const config = writeConfig({ upload: { bandwidth: { max_mbps: 0.5 }, shutdown_deadline_seconds: 1 } });
    for (let i = 0; i < 5; i++) writeFileSync(join(dir, 'logs', `r${i}.log`), randomBytes(200_000));
    await new Promise((r) => setTimeout(r, 300));
    const first = start('upload-now', '--config', config, '--json');
    await waitUntil(() => {
      if (!existsSync(join(dir, 'state', 'tvm-upload.db'))) return false;
      const reader = StateReader.open(join(dir, 'state'));
      try {
        return parseUploadPass(reader.meta(UPLOAD_PASS_META_KEY))?.oneShot === true;
      } catch {
        return false;
      } finally {
        reader.close();
      }
    }, 'the first one-shot to start its pass');
    const second = await cli('upload-now', '--config', config, '--json');
    expect(second.status).to.equal(1);
    expect(second.stderr).to.include('is busy');
    expect(second.stdout, 'the refused one-shot uploads nothing').to.equal('');
    first.child.kill('SIGINT');
    const r = await first.done;
    expect(r.status, r.stderr).to.equal(130);
    const firstUploaded = (JSON.parse(r.stdout) as Summary).uploaded;
    writeConfig();
    const third = await cli('upload-now', '--config', config, '--json');
    expect(third.status, third.stderr).to.equal(0);
    expect(firstUploaded + (JSON.parse(third.stdout) as Summary).uploaded).to.equal(5);
    const keys = await objects();
    // One object per file, none a second key version (name~0002) of a file sent twice.
    expect(keys.map((k) => /\/ros\/(r\d)\.log(\.gz)?$/.exec(k)?.[1]), keys.join()).to.deep.equal(['r0', 'r1', 'r2', 'r3', 'r4']);
  });

  it('Ctrl-C stops like SIGTERM: exit 130, the lock released, the rest still queued', async () => {
    // At 0.5 Mbit/s no 300 KB file can finish before the 1 s deadline cuts the uploads short.
    const config = writeConfig({ upload: { bandwidth: { max_mbps: 0.5 }, shutdown_deadline_seconds: 1 } });
    for (let i = 0; i < 4; i++) writeFileSync(join(dir, 'logs', `r${i}.log`), randomBytes(300_000));
    await new Promise((r) => setTimeout(r, 300));
    const run = start('upload-now', '--config', config, '--json');
    await waitUntil(() => existsSync(join(dir, 'state', LOCK_FILE)) && existsSync(join(dir, 'state', 'tvm-upload.db')), 'the one-shot to hold the store');
    await new Promise((r) => setTimeout(r, 500));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.status, r.stderr).to.equal(130);
    expect(r.stderr).to.include('interrupted');
    expect(existsSync(join(dir, 'state', LOCK_FILE))).to.equal(false);
    const s = JSON.parse(r.stdout) as Summary;
    const status = JSON.parse((await cli('status', '--config', config, '--json')).stdout) as { queued: number; uploaded: number };
    expect(status.queued + status.uploaded).to.equal(4);
    expect(status.uploaded).to.equal(s.uploaded);
    expect(status.queued, 'the interrupted uploads are queued again').to.be.above(0);
    expect(s.remaining).to.equal(status.queued);
  });
});
