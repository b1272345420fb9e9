/**
 * The deletion policies in the real daemon, in process, against s3rver on loopback: real files,
 * real uploads, the real state store. Disk pressure comes from an injected statfs probe where
 * the test needs a "disk full" that the machine does not have.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { runCli } from '../../../src/cli/program.js';
import type { CliIo } from '../../../src/cli/io.js';
import { parseConfig } from '../../../src/config/load.js';
import { Daemon } from '../../../src/daemon.js';
import { DeletionRepo } from '../../../src/deletion/deletion-repo.js';
import type { DiskUsageIo } from '../../../src/disk/usage.js';
import { realClock, type Clock } from '../../../src/clock/clock.js';
import { openStateStore } from '../../../src/state/store.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { freePort } from '../../support/ports.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { writeFile } from '../../unit/deletion/helpers.js';
import { daemonConfigYaml, type ConfigTree } from '../../support/daemon-config.js';
import { until } from '../../support/crash-objects.js';

const BUCKET = 'tvm-deletion';
const DAY = 24 * 3_600_000;
const KEEP_A_DAY = { after_upload: { enabled: true, keep_days: 1 }, age_based: { enabled: false } };

/** A statfs that reports the logs' filesystem `percent` % full (1 GiB, bsize 4096). */
function fullDisk(percent: () => number): DiskUsageIo {
  const blocks = 262_144;
  return {
    statfs: async () => {
      const free = Math.round(blocks * (1 - percent() / 100));
      return { bsize: 4096, blocks, bfree: free, bavail: free };
    },
    device: async () => 42,
  };
}

describe('deletion in the running daemon', function () {
  this.timeout(120_000);
  let server: S3TestServer;
  let client: S3Client;
  let root: string;
  let logs: string;
  let daemon: Daemon | null = null;
  let events: TelemetryEvent[];

  before(async () => {
    server = await startS3rver();
    await server.bucket(BUCKET);
    client = server.client();
  });
  after(async () => server.stop());
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tvm-del-daemon-'));
    logs = join(root, 'logs');
    mkdirSync(logs, { recursive: true });
    events = [];
  });
  afterEach(async () => {
    await daemon?.close(5000);
    daemon = null;
    rmSync(root, { recursive: true, force: true });
  });

  function yaml(deletion: ConfigTree, endpoint = server.endpoint, upload: ConfigTree = {}): string {
    return daemonConfigYaml({
      root,
      endpoint,
      bucket: BUCKET,
      vehicleId: 'veh-del',
      directories: [{ path: logs, source: 'ros' }],
      overrides: {
        upload: { processed_files_registry: { retention_days: 30 }, retry: { base_seconds: 0.05, max_seconds: 0.5 }, ...upload },
        deletion,
        disk: { reserved_gb: 0.001 },
      },
    });
  }

  async function start(text: string, extra: { timers?: Clock; diskIo?: DiskUsageIo } = {}): Promise<Daemon> {
    const telemetry = new Telemetry(silentLogger());
    telemetry.on((e) => events.push(e));
    daemon = await Daemon.start({
      config: parseConfig(text, { env: {} }),
      logger: silentLogger(),
      s3Credentials: server.credentials,
      telemetry,
      ...(extra.timers ? { clock: extra.timers } : {}),
      ...(extra.diskIo ? { deletionProbes: { diskIo: extra.diskIo } } : {}),
    });
    return daemon;
  }

  const ofType = <T extends TelemetryEvent['type']>(t: T) => events.filter((e): e is Extract<TelemetryEvent, { type: T }> => e.type === t);

  it('keep_days 0 deletes a file right after its upload is confirmed, with an audit row', async () => {
    await start(yaml({ after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: false } }));
    const path = join(logs, 'run-1', 'launch.log');
    writeFile(path, 5000, Date.now() - 60_000);
    await until(() => !existsSync(path), 'the file to be deleted');
    const up = ofType('file.uploaded')[0]!;
    expect(up.path).to.equal(path);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: up.key }));
    expect(head.ContentLength).to.be.above(0);
    expect(events.findIndex((e) => e.type === 'file.deleted')).to.be.above(events.indexOf(up));
    expect(existsSync(join(logs, 'run-1'))).to.equal(false);
    expect(existsSync(logs)).to.equal(true);
    const audit = new DeletionRepo(daemon!.store.db, daemon!.store.dbPath).recentAudit(5);
    expect(audit.map((a) => [a.path, a.policy, a.uploaded, a.objectKey])).to.deep.equal([[path, 'after_upload', true, up.key]]);
    const status = await daemon!.deletionStatus();
    expect(status.filesystems.map((f) => f.path)).to.deep.equal([logs]);
    expect(status.lastPass?.deleted).to.be.at.least(0);
    expect(status.deletableNow.files).to.equal(0);
  });

  it('deletes nothing while the S3 endpoint is down', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    await start(yaml({ after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: true, max_age_days: 0 }, emergency: { enabled: true } }, closed));
    const path = join(logs, 'a.log');
    writeFile(path, 2000, Date.now() - 5 * DAY);
    await until(() => ofType('file.failed').length >= 2, 'two failed attempts');
    await daemon!.runDeletionPass();
    expect(existsSync(path)).to.equal(true);
    expect(daemon!.store.files.getByPath(path)?.status).to.be.oneOf(['queued', 'in_flight']);
    expect(ofType('file.deleted')).to.have.length(0);
  });

  it('keeps a pending deferred deletion across a restart and carries it out when due', async () => {
    const text = yaml(KEEP_A_DAY);
    await start(text);
    const path = join(logs, 'kept.log');
    writeFile(path, 3000, Date.now() - 60_000);
    await until(() => ofType('file.uploaded').length === 1, 'the upload');
    await daemon!.runDeletionPass();
    expect(existsSync(path)).to.equal(true);
    await daemon!.close(5000);
    // Restarted a day and a half later (the clock moved on while the vehicle was off).
    const later: Clock = { ...realClock, now: () => Date.now() + 1.5 * DAY };
    await start(text, { timers: later });
    await until(() => !existsSync(path), 'the deferred deletion');
    const deleted = ofType('file.deleted');
    expect(deleted.map((e) => [e.path, e.policy])).to.deep.equal([[path, 'after_upload']]);
  });

  it('a disk-full probe triggers emergency deletion: uploaded oldest first, then un-uploaded, each audited', async () => {
    // Two uploaded files (recorded before the daemon starts) and three queued ones that stay
    // queued: uploads wait for an upload window two hours from now.
    const store = openStateStore({ dir: join(root, 'state'), logger: silentLogger() });
    const now = Date.now();
    const up = ['up-old.log', 'up-new.log'].map((name, i) => {
      const path = join(logs, name);
      const mtimeMs = writeFile(path, 1000, now - (10 - i) * DAY);
      store.files.importUploaded({ path, source: 'ros', relPath: name, size: 1000, mtimeMs, uploadedAt: now - DAY, objectKey: `k/${name}` });
      return path;
    });
    store.close();
    const queued = ['q-old.log', 'q-mid.log', 'q-new.log'].map((name, i) => {
      const path = join(logs, name);
      writeFile(path, 1000, now - (2.5 - i / 2) * DAY); // within scan_existing_files.max_age_days (3)
      return path;
    });
    const hhmm = (ms: number): string => `${String(new Date(ms).getHours()).padStart(2, '0')}:${String(new Date(ms).getMinutes()).padStart(2, '0')}`;
    const closedWindow = { upload_on_start: false, operational_hours: { enabled: true, start: hhmm(now + 2 * 3_600_000), end: hhmm(now + 3 * 3_600_000) } };
    // 98 % full; each deletion frees one point: uploaded ones → 96 % (still critical at 95),
    // then un-uploaded oldest first → 95 % (not below critical) → 94 %: q-new stays.
    let deleted = 0;
    const io = fullDisk(() => 98 - deleted);
    const telemetry = new Telemetry(silentLogger());
    telemetry.on((e) => {
      events.push(e);
      if (e.type === 'file.deleted') deleted += 1;
    });
    daemon = await Daemon.start({
      config: parseConfig(yaml({ after_upload: { enabled: false }, age_based: { enabled: false }, emergency: { enabled: true } }, server.endpoint, closedWindow), { env: {} }),
      logger: silentLogger(),
      s3Credentials: server.credentials,
      telemetry,
      deletionProbes: { diskIo: io },
    });
    await until(() => deleted >= 4, 'four emergency deletions');
    await daemon.runDeletionPass(); // nothing more: 94 % is below critical, no uploaded file left
    expect(ofType('file.deleted').map((e) => e.path)).to.deep.equal([...up, ...queued.slice(0, 2)]);
    expect(existsSync(queued[2]!)).to.equal(true);
    expect(ofType('file.uploaded')).to.have.length(0);
    const audit = new DeletionRepo(daemon.store.db, daemon.store.dbPath).recentAudit(10).reverse();
    expect(audit.map((a) => [a.path, a.policy, a.uploaded])).to.deep.equal([
      [up[0], 'emergency', true],
      [up[1], 'emergency', true],
      [queued[0], 'emergency', false],
      [queued[1], 'emergency', false],
    ]);
    for (const a of audit.slice(2)) {
      expect(a.size).to.equal(1000);
      expect(a.mtimeMs).to.be.below(now - DAY);
      expect(a.reason).to.contain('critical');
    }
  });

  it('cleanup --dry-run deletes nothing; cleanup deletes, standalone', async () => {
    const cfg = join(root, 'config.yaml');
    writeFileSync(cfg, yaml(KEEP_A_DAY));
    const store = openStateStore({ dir: join(root, 'state'), logger: silentLogger() });
    const path = join(logs, 'old.log');
    const mtimeMs = writeFile(path, 1000, Date.now() - 3 * DAY);
    store.files.importUploaded({ path, source: 'ros', relPath: 'old.log', size: 1000, mtimeMs, uploadedAt: Date.now() - 2 * DAY, objectKey: 'k' });
    store.close();
    const out: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => out.push(t), env: {} };
    expect(await runCli(['cleanup', '--config', cfg, '--dry-run'], io)).to.equal(0);
    expect(out.join('\n')).to.contain(`would delete: ${path}`);
    expect(existsSync(path)).to.equal(true);
    expect(await runCli(['cleanup', '--config', cfg], io)).to.equal(0);
    expect(out.join('\n')).to.contain(`deleted: ${path}`);
    expect(existsSync(path)).to.equal(false);
  });
});
