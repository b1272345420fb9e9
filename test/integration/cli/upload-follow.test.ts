import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askDaemon } from '../../../src/cli/upload-follow.js';
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/types.js';
import { openStateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { captureIo } from '../../support/cli-fixtures.js';
import { daemonConfigYaml } from '../../support/daemon-config.js';

describe('cli/upload-follow (upload-now with a daemon running)', () => {
  let dir: string;
  let config: Config;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-follow-'));
    config = parseConfig(daemonConfigYaml({ root: dir, bucket: 'tvm-logs', vehicleId: 'v' }), { env: {} });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('says the daemon stopped before it could be asked, and signals nobody, when its lock is gone', async () => {
    openStateStore({ dir: config.stateDir, logger: silentLogger() }).close();
    const io = captureIo();
    let caught: unknown = null;
    await askDaemon(io.cli, config, 4242, { json: true, style: 'none', wait: false }).catch((e: unknown) => (caught = e));
    expect((caught as Error | null)?.message).to.equal(`the tvm-upload daemon (pid 4242) on state_dir ${config.stateDir} stopped before it could be asked`);
    expect(io.out()).to.equal('');
  });

  it('reports a daemon that stops while it is being waited for', async () => {
    // This process holds the lock (the daemon); it "dies" by releasing it when asked.
    const store = openStateStore({ dir: config.stateDir, logger: silentLogger() });
    let closed = false;
    const onUsr1 = (): void => {
      closed = true;
      store.close();
    };
    process.once('SIGUSR1', onUsr1);
    try {
      const io = captureIo();
      let caught: unknown = null;
      await askDaemon(io.cli, config, process.pid, { json: true, style: 'none', wait: true }).catch((e: unknown) => (caught = e));
      expect(closed, 'the daemon was asked').to.equal(true);
      expect((caught as Error | null)?.message).to.equal(`tvm-upload (pid ${process.pid}) stopped before the upload pass finished`);
    } finally {
      process.off('SIGUSR1', onUsr1);
      if (!closed) store.close();
    }
  });
});
