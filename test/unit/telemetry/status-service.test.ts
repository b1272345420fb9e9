import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import type { Config } from '../../../src/config/types.js';
import { openStateStore, type StateStore } from '../../../src/state/store.js';
import { Telemetry } from '../../../src/telemetry/events.js';
import { Health } from '../../../src/telemetry/health.js';
import { parseConfig } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { StatusService } from '../../../src/telemetry/status-service.js';
import { freePort } from '../../support/ports.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';
import { daemonConfigYaml, type ConfigTree } from '../../support/daemon-config.js';

async function healthz(port: number): Promise<number | 'refused'> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
  } catch {
    return 'refused';
  }
}

describe('telemetry/status-service: monitoring.http on reload', () => {
  let dir: string;
  let store: StateStore;
  let health: Health;
  let service: StatusService | null;
  let blocker: Server | null;
  const config = (vehicleId: string | undefined, monitoring: ConfigTree): Config => parseConfig(daemonConfigYaml({ root: dir, vehicleId, overrides: { monitoring } }), { env: {} });
  const http = (enabled: boolean, port: number): Config => config(undefined, { http: { enabled, listen: `127.0.0.1:${port}` } });

  beforeEach(() => {
    dir = tempDir('tvm-status-svc-');
    store = openStateStore({ dir, logger: silentLogger() });
    health = new Health(() => 0);
    service = null;
    blocker = null;
  });
  afterEach(async () => {
    await service?.close();
    blocker?.close();
    store.close();
    removeDir(dir);
  });

  function start(config: Config): Promise<void> {
    service = new StatusService({ config, store, telemetry: new Telemetry(silentLogger()), health, logger: silentLogger(), now: Date.now });
    return service.startEndpoint();
  }

  it('serves on the new address and stops answering on the old one when listen changes', async () => {
    const [a, b] = [await freePort(), await freePort()];
    await start(http(true, a));
    expect(await healthz(a)).to.equal(200);
    await service!.applyConfig(http(true, b));
    expect(await healthz(b)).to.equal(200);
    expect(await healthz(a)).to.equal('refused');
  });

  it('leaves the endpoint alone when monitoring.http did not change, and serves /metrics after a restart', async () => {
    const [a, b] = [await freePort(), await freePort()];
    await start(http(true, a));
    await service!.applyConfig(config(undefined, { namespace: 'Other/NS', http: { enabled: true, listen: `127.0.0.1:${a}` } }));
    expect(await healthz(a)).to.equal(200);
    await service!.applyConfig(http(true, b)); // the gauges are registered once: a second registration would throw
    expect(await (await fetch(`http://127.0.0.1:${b}/metrics`)).text()).to.match(/tvm_upload_files_pending \d/);
  });

  it('starts a disabled endpoint when a reload enables it, and stops it when a reload disables it', async () => {
    const a = await freePort();
    await start(http(false, a));
    expect(await healthz(a)).to.equal('refused');
    await service!.applyConfig(http(true, a));
    expect(await healthz(a)).to.equal(200);
    await service!.applyConfig(http(false, a));
    expect(await healthz(a)).to.equal('refused');
  });

  it('degrades with http-endpoint when the new port is taken, and recovers when a later reload moves it to a free one', async () => {
    const [a, taken, c] = [await freePort(), await freePort(), await freePort()];
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(taken, '127.0.0.1', r));
    await start(http(true, a));
    await service!.applyConfig(http(true, taken));
    expect(health.reasons().map((r) => r.key)).to.deep.equal(['http-endpoint']);
    expect(await healthz(a)).to.equal('refused');
    await service!.applyConfig(http(true, c));
    expect(health.reasons()).to.deep.equal([]);
    expect(await healthz(c)).to.equal(200);
  });

  it('does not serve again when it is closed while a restart is under way', async () => {
    const [a, b] = [await freePort(), await freePort()];
    await start(http(true, a));
    const restarting = service!.applyConfig(http(true, b));
    await service!.close();
    await restarting;
    expect(await healthz(b)).to.equal('refused');
    expect(await healthz(a)).to.equal('refused');
  });

  it('builds the status report from the reloaded configuration', async () => {
    const a = await freePort();
    await start(http(false, a));
    await service!.applyConfig(config('renamed-in-file', { http: { enabled: false } }));
    const report = (await service!.report()) as unknown as Record<string, unknown>;
    expect(JSON.stringify(report)).to.include('renamed-in-file');
  });
});
