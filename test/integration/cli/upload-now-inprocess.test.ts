/**
 * `upload-now` run in this process (runCli) against s3rver, so the coverage gate sees the
 * one-shot and follow paths (child processes are not measured; see test/support/child-env.ts).
 * The process-level behaviours (Ctrl-C, two processes at once, a dying daemon) are in
 * upload-now.test.ts. A SIGUSR1 listener stands in for the daemon's (src/cli/run.ts): without
 * one, SIGUSR1 would open Node's inspector in the test process.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/program.js';
import type { CliIo } from '../../../src/cli/io.js';
import { parseConfig } from '../../../src/config/load.js';
import { Daemon } from '../../../src/daemon.js';
import { openStateStore } from '../../../src/state/store.js';
import { LOCK_FILE } from '../../../src/state/lock.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { UPLOAD_PASS_META_KEY } from '../../../src/telemetry/upload-pass.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { freePort } from '../../support/ports.js';
import { heldConfigYaml, type ConfigTree } from '../../support/daemon-config.js';

interface Summary {
  mode: string;
  uploaded: number;
  failed: Array<{ path: string; code: string }>;
  remaining: number;
}

const CREDS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

describe('upload-now in process (s3rver)', function () {
  this.timeout(120_000);
  let server: S3TestServer;
  let dir: string;
  let saved: NodeJS.ProcessEnv;

  before(async () => {
    server = await startS3rver();
    await server.bucket('tvm-inproc');
    saved = { ...process.env };
    Object.assign(process.env, CREDS);
  });
  after(async () => {
    for (const k of Object.keys(CREDS)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
    await server.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-now-inproc-'));
    mkdirSync(join(dir, 'logs'), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function yaml(endpoint = server.endpoint): string {
    return inprocConfig(endpoint, { retry: { base_seconds: 0.05, max_seconds: 0.2 } });
  }

  function inprocConfig(endpoint: string, upload: ConfigTree): string {
    return heldConfigYaml({ root: dir, endpoint, bucket: 'tvm-inproc', vehicleId: 'inproc', overrides: { upload, monitoring: { http: { enabled: false } } } });
  }

  function config(endpoint?: string): string {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, yaml(endpoint));
    return file;
  }

  /** Lets freshly written files pass file_stable_seconds (0.2 s). */
  const quiet = () => new Promise((r) => setTimeout(r, 300));

  async function upNow(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => void out.push(t + '\n'), err: (t) => void err.push(t + '\n'), env: {} };
    const code = await runCli(['upload-now', ...args], io);
    return { code, out: out.join(''), err: err.join('') };
  }

  it('one-shot: uploads what is eligible, lists lines, then finds nothing left', async () => {
    const file = config();
    writeFileSync(join(dir, 'logs', 'a.log'), 'a\n');
    writeFileSync(join(dir, 'logs', 'b.log'), 'b\n');
    await quiet();
    const r = await upNow('--config', file);
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/uploaded .*a\.log → inproc\//);
    expect(r.out).to.include('uploaded 2 file(s)');
    const again = await upNow('--config', file, '--json');
    expect(again.code).to.equal(0);
    expect(JSON.parse(again.out) as Summary).to.deep.include({ mode: 'one-shot', uploaded: 0, remaining: 0 });
  });

  it('one-shot with S3 unreachable: retries briefly, then exit 1 with each failure', async () => {
    const file = config(`http://127.0.0.1:${await freePort()}`);
    writeFileSync(join(dir, 'logs', 'a.log'), 'a\n');
    await quiet();
    const r = await upNow('--config', file, '--json');
    expect(r.code).to.equal(1);
    const s = JSON.parse(r.out) as Summary & { failed: Array<{ attempts: number }> };
    expect(s.failed).to.have.length(1);
    expect(s.failed[0]!.attempts).to.equal(3);
    expect(s.failed[0]!.code).to.match(/^TVM_ERR_/);
  });

  it('one-shot: tries files now that an earlier failure parked for later', async () => {
    const file = config();
    writeFileSync(join(dir, 'logs', 'parked.log'), 'p\n');
    await quiet();
    const store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
    store.files.enqueue({ path: join(dir, 'logs', 'parked.log'), source: 'ros', relPath: 'parked.log', size: 2, mtimeMs: statSync(join(dir, 'logs', 'parked.log')).mtimeMs }, Date.now());
    const rec = store.files.claimNext(Date.now(), { exclude: new Set(), queuedSince: null })!;
    store.files.markFailed(rec.id, { error: 'bucket missing', code: 'TVM_ERR_S3_NO_SUCH_BUCKET', nextAttemptAt: Date.now() + 86_400_000 });
    store.close();
    const r = await upNow('--config', file, '--json');
    expect(r.code, r.out + r.err).to.equal(0);
    expect(JSON.parse(r.out) as Summary).to.deep.include({ uploaded: 1, failed: [], remaining: 0 });
  });

  it('one-shot: SIGINT stops it like SIGTERM (in-flight work finishes or is checkpointed), exit 130, lock released', async function () {
    // Only when nothing else in this process listens for SIGINT (mocha does not, unless watching).
    if (process.listenerCount('SIGINT') > 0) {
      console.log('      skipped: another SIGINT listener in this process (upload-now.test.ts covers Ctrl-C in a child)');
      this.skip();
    }
    const file = join(dir, 'config.yaml');
    writeFileSync(file, inprocConfig(server.endpoint, { bandwidth: { max_mbps: 0.5 }, concurrency: 1 }));
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, 'logs', `big${i}.log`), randomBytes(150_000));
    await quiet();
    const running = upNow('--config', file, '--json');
    for (let i = 0; i < 200 && process.listenerCount('SIGINT') === 0; i++) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 500));
    process.emit('SIGINT');
    const r = await running;
    expect(r.code).to.equal(130);
    expect(r.err).to.include('interrupted');
    expect(existsSync(join(dir, 'state', LOCK_FILE))).to.equal(false);
    expect(process.listenerCount('SIGINT')).to.equal(0);
    const s = JSON.parse(r.out) as Summary;
    expect(s.uploaded).to.be.lessThan(3);
  });

  describe('with a daemon running in this process', () => {
    let daemon: Daemon;
    let onUsr1: () => void;
    beforeEach(async () => {
      daemon = await Daemon.start({ config: parseConfig(yaml(), { env: {} }), logger: silentLogger(), s3Credentials: server.credentials });
      onUsr1 = () => void daemon.uploadNow();
      process.on('SIGUSR1', onUsr1);
    });
    afterEach(async () => {
      process.off('SIGUSR1', onUsr1);
      await daemon.close(5000);
    });

    it('asks it for a pass, waits for it and reports; --no-wait only asks', async () => {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, yaml());
      writeFileSync(join(dir, 'logs', 'held.log'), 'held\n');
      for (let i = 0; i < 200 && daemon.status().queued === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(daemon.status().queued).to.equal(1);
      const r = await upNow('--config', file, '--json');
      expect(r.code, r.err).to.equal(0);
      expect(JSON.parse(r.out) as Summary).to.deep.include({ mode: 'daemon', uploaded: 1, remaining: 0 });
      const text = await upNow('--config', file);
      expect(text.code).to.equal(0);
      expect(text.out).to.include('(by the running daemon)');
      const noWait = await upNow('--config', file, '--no-wait');
      expect(noWait.code).to.equal(0);
      expect(noWait.out).to.include(`upload pass requested from tvm-upload (pid ${process.pid})`);
      await daemon.whenIdle();
    });

    it('says the store is busy while a one-shot holds it, and signals nothing', async () => {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, yaml());
      daemon.store.meta.set(UPLOAD_PASS_META_KEY, JSON.stringify({ seq: 9, pid: process.pid, oneShot: true, startedAt: Date.now(), finishedAt: null }));
      let signalled = 0;
      const count = (): void => void signalled++;
      process.on('SIGUSR1', count);
      try {
        const r = await upNow('--config', file);
        expect(r.code).to.equal(1);
        expect(r.err).to.include('is busy');
        await new Promise((res) => setTimeout(res, 100));
        expect(signalled).to.equal(0);
      } finally {
        process.off('SIGUSR1', count);
      }
    });
  });
});
