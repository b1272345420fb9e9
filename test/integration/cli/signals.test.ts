/**
 * Signals against the real CLI (bin/tvm-upload.js, as systemd runs it) and s3rver: SIGUSR1 sent
 * over and over during a long start-up scan never opens the Node inspector and is honoured once
 * the daemon is ready; SIGTERM during the scan stops it cleanly; a stale lock whose pid now
 * belongs to an unrelated process never gets that process signalled.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { spawn } from 'node:child_process';
import { startBin, S3RVER_ENV } from '../../support/cli-daemon.js';
import { daemonConfig, HELD_UPLOADS, writeDaemonConfig } from '../../support/daemon-config.js';
import { cliArgs } from '../../support/daemon-process.js';
import { childEnv } from '../../support/child-env.js';
import { isListening } from '../../support/ports.js';

const INSPECTOR_PORT = 9229;
const OLD_FILES = 20_000;

describe('signals to the real CLI (s3rver)', function () {
  this.timeout(180_000);
  let server: S3TestServer;
  let dir: string;
  let config: string;

  before(async () => {
    server = await startS3rver();
    await server.bucket('tvm-signals');
  });
  after(() => server.stop());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-signals-'));
    config = join(dir, 'config.yaml');
    const upload = { ...HELD_UPLOADS, file_stable_seconds: 0.5, scan_existing_files: { enabled: true, max_age_days: 3 } };
    writeDaemonConfig(config, daemonConfig({ root: dir, endpoint: server.endpoint, bucket: 'tvm-signals', vehicleId: 'cli-proc', overrides: { upload } }));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  /** A tree the start-up scan must walk for a while: many old files it skips, three it queues. */
  function longScanTree(): void {
    const old = (Date.now() - 30 * 86_400_000) / 1000;
    for (let d = 0; d < 100; d++) {
      const sub = join(dir, 'logs', `run${d}`);
      mkdirSync(sub, { recursive: true });
      for (let f = 0; f < OLD_FILES / 100; f++) {
        const p = join(sub, `old${f}.log`);
        writeFileSync(p, 'x');
        utimesSync(p, old, old);
      }
    }
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, 'logs', `held${i}.log`), `held ${i}\n`);
    const quiet = (Date.now() - 60_000) / 1000;
    for (let i = 0; i < 3; i++) utimesSync(join(dir, 'logs', `held${i}.log`), quiet, quiet);
  }

  it('never opens the inspector on SIGUSR1 during start-up, and runs the upload pass once ready', async () => {
    longScanTree();
    const inspectorBefore = await isListening(INSPECTOR_PORT);
    const d = startBin(config);
    const lock = join(dir, 'state', 'tvm-upload.lock');
    // What `upload-now` does: signal as soon as the lock names the daemon, during the scan.
    let sent = 0;
    let ready = false;
    void d.waitFor((l) => l.msg === 'tvm-upload running', 'start', 170_000).then(
      () => (ready = true),
      () => (ready = true),
    );
    while (!ready) {
      if (existsSync(lock)) {
        d.kill('SIGUSR1');
        sent++;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(sent, 'SIGUSR1 sent during start-up').to.be.greaterThan(0);
    await d.waitFor((l) => l.msg === 'tvm-upload running', 'start');
    const uploads = await Promise.all([0, 1, 2].map((i) => d.waitFor((l) => l.msg === 'uploaded' && String(l.path).endsWith(`held${i}.log`), `held${i}.log uploaded`)));
    expect(uploads).to.have.length(3);
    expect(d.stderr.join('')).not.to.include('Debugger listening');
    if (!inspectorBefore) expect(await isListening(INSPECTOR_PORT), 'something listens on 9229').to.equal(false);
    expect(d.count((l) => l.msg === 'upload pass requested')).to.be.at.least(1);
    d.kill('SIGTERM');
    expect((await d.exited).code).to.equal(0);
  });

  it('stops cleanly on SIGTERM during the start-up scan', async () => {
    longScanTree();
    const d = startBin(config);
    const lock = join(dir, 'state', 'tvm-upload.lock');
    while (!existsSync(lock)) {
      if (d.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    d.kill('SIGTERM');
    const exit = await d.exited;
    expect(exit.code, d.stderr.join('')).to.equal(0);
    expect(d.count((l) => l.msg === 'tvm-upload stopped')).to.equal(1);
    expect(existsSync(lock), 'lock released').to.equal(false);
  });

  it('leaves alone an unrelated live process that a stale lock names (pid reused after a power cut)', async () => {
    const victim = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      const pid = victim.pid!;
      const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      mkdirSync(join(dir, 'state'), { recursive: true });
      // Same boot, same pid, but the daemon that wrote it started at another time.
      writeFileSync(join(dir, 'state', 'tvm-upload.lock'), JSON.stringify({ pid, bootId, startTime: '1' }) + '\n');
      const r = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, cliArgs(['upload-now', '--config', config]), { env: childEnv(S3RVER_ENV) });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (status) => resolve({ status, stderr }));
      });
      // The stale lock is taken over: no daemon runs, so upload-now is the one-shot itself.
      expect(r.status, r.stderr).to.equal(0);
      await new Promise((res) => setTimeout(res, 200));
      expect(victim.exitCode, 'the unrelated process is still running').to.equal(null);
      expect(victim.signalCode).to.equal(null);
    } finally {
      victim.kill('SIGKILL');
    }
  });
});
