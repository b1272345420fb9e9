/**
 * The real daemon (in process) against s3rver on loopback with an upload cap: once it has
 * measured its own compressions, it compresses harder to send fewer bytes through the cap, within
 * the CPU budget. Every object must still be exactly the gzip of its source at one level or the
 * other. No duration is asserted.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { loadConfig } from '../../../src/config/load.js';
import { Daemon } from '../../../src/daemon.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { MIN_MEASURED_BYTES } from '../../../src/pipeline/compression-level.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { daemonConfigYaml } from '../../support/daemon-config.js';
import { capturingLogger } from '../../support/capturing-logger.js';
import { seededRandom } from '../../support/seeded-random.js';
import { logText } from '../../support/chaos-fixtures.js';
import { getObject, until } from '../../support/crash-objects.js';

const BUCKET = 'tvm-adaptive';

describe('daemon compressing harder under an upload cap (s3rver)', function () {
  this.timeout(180_000);
  let server: S3TestServer;
  let root: string;
  let daemon: Daemon | null = null;

  before(async () => {
    server = await startS3rver();
    await server.bucket(BUCKET);
  });
  after(async () => {
    await server.stop();
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tvm-adaptive-'));
    mkdirSync(join(root, 'logs'), { recursive: true });
  });
  afterEach(async () => {
    await daemon?.close(5000);
    daemon = null;
    rmSync(root, { recursive: true, force: true });
  });

  async function run(upload: Record<string, unknown>, files: number) {
    const log = capturingLogger();
    const events: TelemetryEvent[] = [];
    writeFileSync(
      join(root, 'config.yaml'),
      daemonConfigYaml({ root, endpoint: server.endpoint, bucket: BUCKET, vehicleId: 'vehicle-adaptive', overrides: { upload: { file_stable_seconds: 0.3, scan_existing_files: undefined, concurrency: 1, workers: 1, ...upload }, monitoring: { http: undefined } } }),
    );
    const telemetry = new Telemetry(log.logger);
    telemetry.on((e) => events.push(e));
    daemon = await Daemon.start({ config: loadConfig(join(root, 'config.yaml'), { env: {} }), logger: log.logger, s3Credentials: server.credentials, telemetry });
    // Enough text that the first files measure the machine (MIN_MEASURED_BYTES) and later ones are raised.
    const rng = seededRandom(1207);
    const sources: Buffer[] = [];
    const t0 = Math.floor(Date.now() / 1000) - 3600;
    for (let i = 0; i < files; i++) {
      const body = Buffer.from(logText(rng, 20_000));
      const path = join(root, 'logs', `run-${i}.log`);
      writeFileSync(path, body);
      utimesSync(path, t0 + i, t0 + i); // oldest first: uploaded in this order
      sources.push(body);
    }
    const uploaded = () => events.filter((e) => e.type === 'file.uploaded');
    await until(() => uploaded().length === files, `${files} uploads`, 120_000);
    const client = server.client();
    const objects: Buffer[] = [];
    for (const e of uploaded()) if (e.type === 'file.uploaded') objects.push(await getObject(client, BUCKET, e.key));
    client.destroy();
    return { log, sources, objects, order: uploaded().map((e) => (e.type === 'file.uploaded' ? Number(/run-(\d+)/.exec(e.path)![1]) : -1)) };
  }

  it('raises the gzip level once it has measured its compressions, and every object is the exact gzip of its file', async () => {
    const { log, sources, objects, order } = await run({ bandwidth: { max_mbps: 4 }, compression: { cpu_budget_percent: 100 } }, 6);
    expect(sources[0]!.length * 3, 'three files are enough to measure').to.be.at.least(MIN_MEASURED_BYTES);
    const raised = log.matching(/compressing harder/);
    expect(raised, 'one change of level').to.have.length(1);
    const level = raised[0]!.codecLevel as number;
    expect(level).to.be.within(7, 9);
    expect(raised[0]).to.deep.include({ from: 6, capBytesPerSecond: 500_000 });
    const levels = objects.map((o, i) => {
      const src = sources[order[i]!]!;
      expect(gunzipSync(o).equals(src), `object ${i} round-trips`).to.equal(true);
      if (o.equals(gzipSync(src, { level: 6 }))) return 6;
      if (o.equals(gzipSync(src, { level }))) return level;
      return -1;
    });
    expect(levels.slice(0, 3), 'the first files, before anything was measured').to.deep.equal([6, 6, 6]);
    expect(levels.at(-1)).to.equal(level);
    expect(levels).to.not.include(-1);
    // The log says which level each file went out at, without breaking the log's own `level`.
    const lines = log.matching(/^uploaded$/);
    expect(lines.map((l) => l.codecLevel)).to.deep.equal(levels);
    expect(lines.every((l) => l.level === 30 || l.level === 'info')).to.equal(true);
  });

  it('keeps the configured level when max_level says so, capped or not', async () => {
    const { log, sources, objects, order } = await run({ bandwidth: { max_mbps: 4 }, compression: { cpu_budget_percent: 100, max_level: 6 } }, 4);
    expect(log.matching(/compressing harder/)).to.deep.equal([]);
    objects.forEach((o, i) => expect(o.equals(gzipSync(sources[order[i]!]!, { level: 6 })), `object ${i} is gzip-6`).to.equal(true));
  });
});
