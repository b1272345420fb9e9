/**
 * `tvm-upload cleanup` as a process beside a running daemon process (s3rver on loopback): it asks
 * the daemon for a deletion pass, waits for that pass and prints the files it deleted (read back
 * from the audit rows), as text and JSON; --no-wait only asks. The file to delete is an uploaded,
 * old one that only a forced age_based run takes (the daily run is recorded as done today), so
 * nothing but the requested pass can delete it.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGE_LAST_RUN_KEY } from '../../../src/deletion/pass.js';
import { openStateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { runCli } from '../../support/crash-cli.js';
import { DaemonProcess } from '../../support/daemon-process.js';
import { heldConfigYaml } from '../../support/daemon-config.js';
import { S3RVER_ENV } from '../../support/cli-daemon.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';

const DAY = 24 * 3_600_000;

describe('cli cleanup with a daemon running (process, s3rver)', function () {
  this.timeout(180_000);
  let server: S3TestServer;
  let dir: string;
  let daemon: DaemonProcess | null = null;

  before(async () => {
    server = await startS3rver();
    await server.bucket('tvm-cleanup');
  });
  after(() => server.stop());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-cleanup-daemon-'));
    mkdirSync(join(dir, 'logs'), { recursive: true });
  });
  afterEach(async () => {
    if (daemon !== null && daemon.child.exitCode === null) {
      daemon.kill('SIGTERM');
      await daemon.exited;
    }
    daemon = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for the pass it asked for and prints the files that pass deleted; --json and --no-wait', async () => {
    const config = join(dir, 'config.yaml');
    const deletion = { after_upload: { enabled: false }, age_based: { enabled: true, max_age_days: 1, schedule_time: '02:00' }, emergency: { enabled: false } };
    const directories = [{ path: `${dir}/logs`, source: 'ros', pattern: '*.log' }];
    writeFileSync(config, heldConfigYaml({ root: dir, endpoint: server.endpoint, bucket: 'tvm-cleanup', vehicleId: 'cleanup-daemon', directories, overrides: { deletion } }));
    // An uploaded file three days old, and the daily age_based run recorded as done now.
    const old = join(dir, 'logs', 'old.log');
    writeFileSync(old, 'x'.repeat(1234));
    const mtime = new Date(Date.now() - 3 * DAY);
    utimesSync(old, mtime, mtime);
    const store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
    store.files.importUploaded({ path: old, source: 'ros', relPath: 'old.log', size: 1234, mtimeMs: mtime.getTime(), uploadedAt: Date.now() - 2 * DAY, objectKey: 'cleanup-daemon/old.log' });
    store.meta.set(AGE_LAST_RUN_KEY, String(Date.now()));
    store.close();

    daemon = DaemonProcess.start(['run', '--config', config], S3RVER_ENV);
    await daemon.waitFor((l) => l.msg === 'tvm-upload running', 'start');
    expect(existsSync(old), 'the start pass leaves it: the daily run is done').to.equal(true);

    const r = await runCli(['cleanup', '--config', config], S3RVER_ENV, 120_000);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stderr).to.include(`asked tvm-upload (pid ${daemon.child.pid}) for a deletion pass; waiting`);
    expect(r.stdout).to.match(new RegExp(`^deleted: ${old} \\(1234 bytes, age_based: modified 3\\.0 days ago \\(max_age_days 1\\)\\)$`, 'm'));
    expect(r.stdout).to.include('deleted 1 files, 0.00 GiB');
    expect(r.stdout).to.match(new RegExp(`^${join(dir, 'logs')}: [0-9.]+ GiB free \\([0-9.]+% used\\) before, [0-9.]+ GiB free`, 'm'));
    expect(existsSync(old)).to.equal(false);

    // A second pass has nothing left: its report is empty, not the first pass's.
    const j = await runCli(['cleanup', '--config', config, '--json'], S3RVER_ENV, 120_000);
    expect(j.status, j.stderr).to.equal(0);
    expect(JSON.parse(j.stdout)).to.deep.include({ byDaemon: daemon.child.pid, dryRun: false, deletedCount: 0, files: [] });

    const n = await runCli(['cleanup', '--config', config, '--no-wait'], S3RVER_ENV);
    expect(n.status, n.stderr).to.equal(0);
    expect(n.stdout).to.include(`asked the running daemon (pid ${daemon.child.pid}) to run the deletion policies now`);
    await daemon.waitFor((l) => l.msg === 'deletion pass requested by signal finished' && l.deleted === 0 && daemon!.count((x) => x.msg === 'deletion pass requested by signal finished') >= 3, 'the third requested pass');
  });
});
