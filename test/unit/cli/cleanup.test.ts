import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupCommand } from '../../../src/cli/cleanup.js';
import type { CliIo } from '../../../src/cli/io.js';
import { runCli } from '../../../src/cli/program.js';
import { openStateStore, type StateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { filesDiskIo, writeFile } from '../deletion/helpers.js';
import { parseConfig } from '../../../src/config/load.js';
import { buildDeletion } from '../../../src/deletion/build.js';
import { DeletionRepo } from '../../../src/deletion/deletion-repo.js';
import { runDeletionPass } from '../../../src/deletion/pass.js';
import { RequestedPasses } from '../../../src/deletion/requests.js';
import { Telemetry } from '../../../src/telemetry/events.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';
import { daemonConfigYaml, type ConfigTree } from '../../support/daemon-config.js';
import { patched } from '../../support/patch.js';
import { migratedDb } from '../state/helpers.js';

const DAY = 24 * 3_600_000;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env: {} };
  return { cli, out: () => out.join('\n'), err: () => err.join('') };
}

describe('cli cleanup', () => {
  let dir: string;
  let config: string;
  let uploaded: string;
  let queued: string;
  /** Deletion after upload with keep_days 0, so an uploaded file is due at once. */
  const configYaml = (extra: ConfigTree = {}): string =>
    daemonConfigYaml({ root: dir, bucket: 'tvm-cli', vehicleId: 'cli-test', overrides: patched({ deletion: { after_upload: { enabled: true, keep_days: 0 } } }, extra) });

  beforeEach(() => {
    dir = tempDir('tvm-cleanup-');
    config = join(dir, 'config.yaml');
    writeFileSync(config, configYaml());
    const store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
    uploaded = join(dir, 'logs/run1/a.log');
    queued = join(dir, 'logs/run1/b.log');
    const now = Date.now();
    const m1 = writeFile(uploaded, 1000, now - DAY);
    const m2 = writeFile(queued, 2000, now - DAY);
    store.files.importUploaded({ path: uploaded, source: 'ros', relPath: 'run1/a.log', size: 1000, mtimeMs: m1, uploadedAt: now - 1000, objectKey: 'k' });
    store.files.enqueue({ path: queued, source: 'ros', relPath: 'run1/b.log', size: 2000, mtimeMs: m2 }, now);
    store.close();
  });
  afterEach(() => removeDir(dir));

  it('--dry-run lists what would be deleted with policy and reason, and deletes nothing', async () => {
    const t = io();
    expect(await runCli(['cleanup', '--config', config, '--dry-run'], t.cli)).to.equal(0);
    expect(t.out()).to.include(`would delete: ${uploaded} (1000 bytes, after_upload: uploaded (keep_days 0))`);
    expect(t.out()).to.not.include(queued);
    expect(t.out()).to.match(/dry run: would delete 1 files/);
    expect(t.out()).to.match(/GiB free .* before, .* after \(predicted\)/);
    expect(existsSync(uploaded)).to.equal(true);
  });

  it('deletes standalone and reports as JSON, with free space before and after', async () => {
    const t = io();
    expect(await cleanupCommand(t.cli, { config, json: true, probes: { diskIo: filesDiskIo(join(dir, 'logs'), 1e9) } })).to.equal(0);
    const r = JSON.parse(t.out()) as { dryRun: boolean; deletedCount: number; files: Array<{ path: string; policy: string }>; filesystems: Array<{ before: { availableBytes: number }; after: { availableBytes: number } }> };
    expect(r.dryRun).to.equal(false);
    expect(r.files.map((f) => [f.path, f.policy])).to.deep.equal([[uploaded, 'after_upload']]);
    expect(r.filesystems[0]!.after.availableBytes - r.filesystems[0]!.before.availableBytes).to.equal(1000);
    expect(existsSync(uploaded)).to.equal(false);
    expect(existsSync(queued)).to.equal(true);
  });

  it('status says the deletion figures are unavailable for a database from before the deletion schema', async () => {
    const old = join(dir, 'old-state');
    // A database written by a release before the deletion schema: version 1 only.
    mkdirSync(old, { recursive: true });
    migratedDb(old, 1).close();
    writeFileSync(config, configYaml({ state_dir: old, deletion: { age_based: { enabled: true } } }));
    const t = io();
    expect(await runCli(['status', '--config', config], t.cli)).to.equal(0);
    expect(t.out()).to.match(/deletion: +unavailable \(/);
  });

  describe('with a daemon holding the state dir', () => {
    let store: StateStore;
    beforeEach(() => {
      store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
    });
    afterEach(() => store.close());

    it('asks the running daemon with SIGUSR2 instead of deleting beside it', async () => {
      // The lock holder is this process: a listener stands in for the daemon's signal handler.
      let received = 0;
      const onUsr2 = (): void => void received++;
      process.on('SIGUSR2', onUsr2);
      try {
        const t = io();
        expect(await runCli(['cleanup', '--config', config, '--no-wait'], t.cli)).to.equal(0);
        expect(t.out()).to.include(`asked the running daemon (pid ${process.pid}) to run the deletion policies now`);
        for (let i = 0; i < 100 && received === 0; i++) await new Promise((r) => setTimeout(r, 10));
        expect(received).to.equal(1);
        expect(existsSync(uploaded), 'this process deletes nothing itself').to.equal(true);
      } finally {
        process.off('SIGUSR2', onUsr2);
      }
    });

    /** This process holds the lock: a SIGUSR2 listener stands in for the daemon's handler. */
    async function withDaemonHandler<T>(onRequest: (requests: RequestedPasses) => void, body: () => Promise<T>): Promise<T> {
      const requests = new RequestedPasses(new DeletionRepo(store.db, store.dbPath), Date.now, silentLogger());
      const handler = (): void => onRequest(requests);
      process.on('SIGUSR2', handler);
      try {
        return await body();
      } finally {
        process.off('SIGUSR2', handler);
      }
    }
    const realPass = (requests: RequestedPasses): void => {
      const { pass } = buildDeletion({
        config: parseConfig(readFileSync(config, 'utf8'), { env: {} }), db: store.db, dbPath: store.dbPath, enqueue: () => undefined,
        telemetry: new Telemetry(silentLogger()), logger: silentLogger(), now: Date.now, dryRun: false,
      });
      void requests.run(() => runDeletionPass(pass, { trigger: 'request', forceAgeBased: true }));
    };

    it('waits for the pass it asked the daemon for and prints its deletions, totals and free space', async () => {
      const t = io();
      const code = await withDaemonHandler(realPass, () => runCli(['cleanup', '--config', config], t.cli));
      expect(code, t.err()).to.equal(0);
      expect(t.out()).to.include(`deleted: ${uploaded} (1000 bytes, after_upload: uploaded (keep_days 0))`);
      expect(t.out()).to.include('deleted 1 files, 0.00 GiB');
      expect(t.out()).to.match(new RegExp(`${dir}/logs: [0-9.]+ GiB free \\([0-9.]+% used\\) before, [0-9.]+ GiB free`));
      expect(t.err()).to.include(`asked tvm-upload (pid ${process.pid}) for a deletion pass; waiting`);
      expect(existsSync(uploaded)).to.equal(false);
      expect(existsSync(queued)).to.equal(true);
    });

    it('prints the pass as JSON, and only that pass: deletions of an earlier pass are not in it', async () => {
      // An earlier pass (a timer pass, say) deleted the uploaded file already.
      realPass(new RequestedPasses(new DeletionRepo(store.db, store.dbPath), () => Date.now() - 60_000, silentLogger()));
      for (let i = 0; i < 100 && existsSync(uploaded); i++) await new Promise((r) => setTimeout(r, 10));
      expect(existsSync(uploaded)).to.equal(false);
      const t = io();
      expect(await withDaemonHandler(realPass, () => runCli(['cleanup', '--config', config, '--json'], t.cli))).to.equal(0);
      const json = JSON.parse(t.out()) as { byDaemon: number; deletedCount: number; files: unknown[]; filesystems: Array<{ path: string }> };
      expect(json).to.deep.include({ byDaemon: process.pid, deletedCount: 0, files: [] });
      expect(json.filesystems.map((f) => f.path)).to.deep.equal([`${dir}/logs`]);
    });

    it('says so when the daemon does not take the request within --timeout', async () => {
      const t = io();
      expect(await withDaemonHandler(() => undefined, () => runCli(['cleanup', '--config', config, '--timeout', '1'], t.cli))).to.equal(1);
      expect(t.err()).to.include(`tvm-upload (pid ${process.pid}) did not take the deletion request within 1 s`).and.include('hint:');
      expect(existsSync(uploaded)).to.equal(true);
    });

    it('says so when the daemon took the request but its pass does not end within --timeout', async () => {
      const t = io();
      const hang = (requests: RequestedPasses): void => void requests.run(() => new Promise<never>(() => undefined));
      expect(await withDaemonHandler(hang, () => runCli(['cleanup', '--config', config, '--timeout', '1'], t.cli))).to.equal(1);
      expect(t.err()).to.include('did not finish within 1 s; it goes on in the daemon');
    });

    it('reports a daemon that stops before the pass it was asked for ends: exit 1', async () => {
      const t = io();
      // The "daemon" takes the request, then stops (its lock goes) with the pass unfinished.
      const stop = (requests: RequestedPasses): void => {
        void requests.run(() => new Promise<never>(() => undefined));
        setTimeout(() => store.close(), 50);
      };
      const code = await withDaemonHandler(stop, () => runCli(['cleanup', '--config', config, '--timeout', '60'], t.cli));
      store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
      expect(code).to.equal(1);
      expect(t.err()).to.include(`tvm-upload (pid ${process.pid}) stopped before the deletion pass it was asked for finished`);
    });

    it('reports a pass that failed in the daemon, with its reason', async () => {
      const t = io();
      const fail = (requests: RequestedPasses): void => void requests.run(() => Promise.reject(new Error('statfs failed: EIO'))).catch(() => undefined);
      expect(await withDaemonHandler(fail, () => runCli(['cleanup', '--config', config], t.cli))).to.equal(1);
      expect(t.err()).to.include('the deletion pass the daemon ran for this request failed: statfs failed: EIO');
    });

    it('rejects a --timeout that is not a number of seconds, naming the option', async () => {
      for (const bad of ['soon', '0', '-5', '']) {
        const t = io();
        expect(await runCli(['cleanup', '--config', config, '--timeout', bad], t.cli)).to.equal(2);
        expect(t.err()).to.include(`--timeout "${bad}" is not a number of seconds`);
      }
    });

    it('still previews with --dry-run, read-only', async () => {
      const t = io();
      expect(await runCli(['cleanup', '--config', config, '--dry-run'], t.cli)).to.equal(0);
      expect(t.out()).to.include(`would delete: ${uploaded}`);
      expect(existsSync(uploaded)).to.equal(true);
    });

    it('status shows disk usage, what is deletable now and the last pass', async () => {
      const t = io();
      expect(await runCli(['status', '--config', config], t.cli)).to.equal(0);
      expect(t.out()).to.match(new RegExp(`disk: +${dir}/logs: [0-9.]+% used`));
      expect(t.out()).to.include('deletable: 1 files');
      expect(t.out()).to.include('no deletion pass recorded yet');
      const j = io();
      expect(await runCli(['status', '--config', config, '--json'], j.cli)).to.equal(0);
      const parsed = JSON.parse(j.out()) as { deletion: { deletableNow: { files: number; bytes: number }; filesystems: unknown[] } };
      expect(parsed.deletion.deletableNow).to.include({ files: 1, bytes: 1000 });
      expect(parsed.deletion.filesystems).to.have.length(1);
    });
  });
});
