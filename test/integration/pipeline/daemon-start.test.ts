/**
 * What the daemon says and does at start, in process against s3rver: every configuration warning
 * is logged, and a file the last run left in flight (killed mid-upload) is announced, checked
 * against S3 and uploaded exactly once.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import { Daemon } from '../../../src/daemon.js';
import { openStateStore } from '../../../src/state/store.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { createLogger, silentLogger } from '../../../src/telemetry/logger.js';
import { until } from '../../support/crash-objects.js';
import { daemonConfigYaml, type ConfigTree } from '../../support/daemon-config.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';

const BUCKET = 'tvm-start';

describe('daemon start-up (in process, s3rver)', function () {
  this.timeout(120_000);
  let server: S3TestServer;
  let root: string;
  let daemon: Daemon | null = null;

  before(async () => {
    server = await startS3rver();
    await server.bucket(BUCKET);
  });
  after(() => server.stop());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tvm-start-'));
    mkdirSync(join(root, 'logs'));
  });
  afterEach(async () => {
    await daemon?.close(5000);
    daemon = null;
    rmSync(root, { recursive: true, force: true });
  });

  const yaml = (disk: ConfigTree = {}): string =>
    daemonConfigYaml({ root, endpoint: server.endpoint, bucket: BUCKET, vehicleId: 'start-car', overrides: { upload: { file_stable_seconds: 0 }, disk } });

  async function start(text: string): Promise<{ logs: Array<Record<string, unknown>>; events: TelemetryEvent[] }> {
    const logs: Array<Record<string, unknown>> = [];
    const events: TelemetryEvent[] = [];
    const logger = createLogger({ level: 'info', pretty: false, destination: { write: (l: string) => void logs.push(JSON.parse(l) as Record<string, unknown>) } });
    const telemetry = new Telemetry(silentLogger());
    telemetry.on((e) => events.push(e));
    daemon = await Daemon.start({ config: parseConfig(text, { env: {} }), logger, s3Credentials: server.credentials, telemetry });
    return { logs, events };
  }

  it('logs every configuration warning at start', async () => {
    const { logs } = await start(yaml({ cleanup_threshold: 0.8 }));
    const warnings = logs.filter((l) => l.level === 'warn').map((l) => String(l.msg));
    expect(warnings.some((m) => m.includes('disk.cleanup_threshold') && m.includes('disk.warning_threshold')), JSON.stringify(warnings)).to.equal(true);
  });

  it('announces a file left in flight by the last run and uploads it exactly once', async () => {
    const path = join(root, 'logs', 'interrupted.log');
    writeFileSync(path, 'the last run was killed while sending this\n'.repeat(100));
    const st = statSync(path);
    const store = openStateStore({ dir: join(root, 'state'), logger: silentLogger() });
    store.files.enqueue({ path, source: 'ros', relPath: 'interrupted.log', size: st.size, mtimeMs: st.mtimeMs }, Date.now());
    expect(store.files.claimNext(Date.now())?.path, 'the row is in flight, as after a crash').to.equal(path);
    store.close();

    const { logs, events } = await start(yaml());
    expect(logs.find((l) => l.msg === 'resuming uploads interrupted by the last shutdown')).to.deep.include({ files: 1 });
    await until(() => events.some((e) => e.type === 'file.uploaded' && e.path === path), 'the interrupted file uploaded', 60_000);
    await daemon!.close(5000);
    daemon = null;
    expect(events.filter((e) => e.type === 'file.uploaded' && e.path === path)).to.have.length(1);
  });
});
