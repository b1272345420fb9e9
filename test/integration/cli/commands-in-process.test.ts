/**
 * The CLI commands that the process tests (run.test.ts) exercise as children, run here in this
 * process against s3rver, so their branches are seen by coverage (c8 cannot see into children)
 * and so a failure points at the command rather than at process plumbing: `run` until SIGTERM
 * with an upload pass on SIGUSR1 (delivered with process.emit, no real signal), `check-config
 * --probe` both ways, and `upload-now` signalling the pid in the lock file.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readLockPid } from '../../../src/cli/daemon-pid.js';
import { runCli } from '../../../src/cli/program.js';
import { LOCK_FILE } from '../../../src/state/lock.js';
import { openStateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { captureIo } from '../../support/cli-fixtures.js';
import { heldConfigYaml } from '../../support/daemon-config.js';
import { until } from '../../support/crash-objects.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';

const BUCKET = 'tvm-inproc';

const io = captureIo;

/** Sets process.env entries for the duration of `fn` (the SDK's credential chain reads them). */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const S3RVER_ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_PROFILE: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };

describe('cli commands in process (s3rver)', function () {
  this.timeout(120_000);
  let server: S3TestServer;
  let dir: string;
  const config = (bucket = BUCKET): string => {
    const file = join(dir, `${bucket}.yaml`);
    writeFileSync(file, heldConfigYaml({ root: dir, endpoint: server.endpoint, bucket, vehicleId: 'inproc' }));
    return file;
  };

  before(async () => {
    server = await startS3rver();
    await server.bucket(BUCKET);
  });
  after(() => server.stop());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-inproc-'));
    mkdirSync(join(dir, 'logs'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('run: serves until SIGTERM and exits 0; SIGUSR1 uploads a file held outside operational hours', async () => {
    const before = { term: process.listeners('SIGTERM'), int: process.listeners('SIGINT'), usr1: process.listeners('SIGUSR1') };
    const t = io({ TVM_UPLOAD_LOG_LEVEL: 'silent' });
    const exited = withEnv(S3RVER_ENV, () => runCli(['run', '--config', config()], t.cli));
    try {
      await until(() => readLockPid(join(dir, 'state')) === process.pid, 'the daemon holds its state lock', 60_000);
      writeFileSync(join(dir, 'logs', 'held.log'), 'a line held until upload-now\n');
      const listed = async (): Promise<number> => (await server.client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'inproc/' }))).KeyCount ?? 0;
      // Wait past the stability window: outside operational hours nothing is sent on its own.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await listed(), 'nothing uploads outside operational hours').to.equal(0);
      process.emit('SIGUSR1');
      await until(async () => (await listed()) === 1, 'the file uploaded after SIGUSR1', 60_000);
      process.emit('SIGTERM');
      expect(await exited).to.equal(0);
      expect(readLockPid(join(dir, 'state')), 'the lock is released').to.equal(null);
    } finally {
      for (const [sig, had] of [['SIGTERM', before.term], ['SIGINT', before.int], ['SIGUSR1', before.usr1]] as const) {
        for (const l of process.listeners(sig)) if (!had.includes(l)) process.off(sig, l);
      }
    }
    expect(t.err()).to.equal('');
  });

  it('check-config --probe: exit 0 when the bucket answers, 1 naming a missing bucket with a hint', async () => {
    const ok = io();
    expect(await withEnv(S3RVER_ENV, () => runCli(['check-config', '--probe', '--config', config()], ok.cli))).to.equal(0);
    expect(ok.out()).to.include(`bucket probe OK: s3://${BUCKET} is reachable`);
    const missing = io();
    expect(await withEnv(S3RVER_ENV, () => runCli(['check-config', '--probe', '--config', config('tvm-missing')], missing.cli))).to.equal(1);
    expect(missing.err()).to.match(/bucket probe failed: bucket "tvm-missing" does not exist[^\n]*\n {2}hint: create the bucket/);
  });

  it('upload-now --no-wait: signals the live daemon holding the lock, and never a pid it cannot verify', async () => {
    // A pid written without boot id and start time cannot be proved to be the daemon: `sleep`
    // would die of SIGUSR1 (its default action), so its survival proves nothing was sent to it.
    const child = spawn('sleep', ['60']);
    mkdirSync(join(dir, 'state'));
    writeFileSync(join(dir, 'state', LOCK_FILE), JSON.stringify({ pid: child.pid }));
    try {
      const t = io();
      const code = await runCli(['upload-now', '--config', config()], t.cli);
      await new Promise((r) => setTimeout(r, 200));
      expect(child.exitCode, 'the unverifiable pid was not signalled').to.equal(null);
      expect(child.signalCode).to.equal(null);
      // Nor is the lock taken over: the owner is alive and cannot be proved stale.
      expect(code).to.equal(1);
      expect(t.err()).to.include(`another tvm-upload (pid ${child.pid}) is using state dir ${join(dir, 'state')}`);
    } finally {
      child.kill('SIGKILL');
    }
    rmSync(join(dir, 'state', LOCK_FILE));
    // The live daemon is this process, holding the store's lock; a listener stands in for its handler.
    const store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
    let received = 0;
    const onUsr1 = (): void => void received++;
    process.on('SIGUSR1', onUsr1);
    try {
      const t = io();
      expect(await runCli(['upload-now', '--no-wait', '--config', config()], t.cli)).to.equal(0);
      expect(t.out()).to.equal(`upload pass requested from tvm-upload (pid ${process.pid}); follow it with: tvm-upload status, or journalctl -u tvm-upload -f`);
      for (let i = 0; i < 100 && received === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(received).to.equal(1);
    } finally {
      process.off('SIGUSR1', onUsr1);
      store.close();
    }
  });
});
