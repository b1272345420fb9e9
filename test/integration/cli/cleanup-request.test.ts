/**
 * `tvm-upload cleanup` beside a state directory this test process holds, the way a running daemon
 * holds it: the command sends a real SIGUSR2 to the lock holder (this process, whose listener
 * stands in for the daemon's handler) and then waits in real time, polling the request rows, for
 * the pass it asked for, with --timeout and a lock holder that stops. Real signals and real
 * seconds of waiting: the integration tier (moved from test/unit/cli/cleanup.test.ts, whose
 * remaining tests need neither).
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/program.js';
import { openStateStore, type StateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { parseConfig } from '../../../src/config/load.js';
import { buildDeletion } from '../../../src/deletion/build.js';
import { DeletionRepo } from '../../../src/deletion/deletion-repo.js';
import { runDeletionPass } from '../../../src/deletion/pass.js';
import { RequestedPasses } from '../../../src/deletion/requests.js';
import { Telemetry } from '../../../src/telemetry/events.js';
import { removeDir } from '../../support/temp-dir.js';
import { capturedIo, cleanupTree } from '../../unit/cli/cleanup-fixture.js';

describe('cli cleanup asking the lock holder by signal (in process)', () => {
  let dir: string;
  let config: string;
  let uploaded: string;
  let queued: string;
  beforeEach(() => ({ dir, config, uploaded, queued } = cleanupTree()));
  afterEach(() => removeDir(dir));

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
        const t = capturedIo();
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
      const t = capturedIo();
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
      const t = capturedIo();
      expect(await withDaemonHandler(realPass, () => runCli(['cleanup', '--config', config, '--json'], t.cli))).to.equal(0);
      const json = JSON.parse(t.out()) as { byDaemon: number; deletedCount: number; files: unknown[]; filesystems: Array<{ path: string }> };
      expect(json).to.deep.include({ byDaemon: process.pid, deletedCount: 0, files: [] });
      expect(json.filesystems.map((f) => f.path)).to.deep.equal([`${dir}/logs`]);
    });

    it('says so when the daemon does not take the request within --timeout', async () => {
      const t = capturedIo();
      expect(await withDaemonHandler(() => undefined, () => runCli(['cleanup', '--config', config, '--timeout', '1'], t.cli))).to.equal(1);
      expect(t.err()).to.include(`tvm-upload (pid ${process.pid}) did not take the deletion request within 1 s`).and.include('hint:');
      expect(existsSync(uploaded)).to.equal(true);
    });

    it('says so when the daemon took the request but its pass does not end within --timeout', async () => {
      const t = capturedIo();
      const hang = (requests: RequestedPasses): void => void requests.run(() => new Promise<never>(() => undefined));
      expect(await withDaemonHandler(hang, () => runCli(['cleanup', '--config', config, '--timeout', '1'], t.cli))).to.equal(1);
      expect(t.err()).to.include('did not finish within 1 s; it goes on in the daemon');
    });

    it('reports a daemon that stops before the pass it was asked for ends: exit 1', async () => {
      const t = capturedIo();
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
      const t = capturedIo();
      const fail = (requests: RequestedPasses): void => void requests.run(() => Promise.reject(new Error('statfs failed: EIO'))).catch(() => undefined);
      expect(await withDaemonHandler(fail, () => runCli(['cleanup', '--config', config], t.cli))).to.equal(1);
      expect(t.err()).to.include('the deletion pass the daemon ran for this request failed: statfs failed: EIO');
    });
  });
});
