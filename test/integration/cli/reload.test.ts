/**
 * SIGHUP reload against the real CLI (bin/tvm-upload.js) and s3rver: an invalid file leaves the
 * daemon on its old configuration; an added directory's files upload; a removed directory's new
 * files do not; closing the operational-hours window stops new uploads; a burst of ten HUPs
 * while uploads run loses and duplicates nothing.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { startBin } from '../../support/cli-daemon.js';
import { daemonConfig, writeDaemonConfig, type ConfigTree } from '../../support/daemon-config.js';
import type { DaemonProcess, LogLine } from '../../support/daemon-process.js';

const dirEntry = (path: string, source: string): ConfigTree => ({ path, source });
const uploadedPath = (path: string) => (l: LogLine) => l.msg === 'uploaded' && l.path === path;
const hhmm = (t: number): string => {
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
};

describe('SIGHUP reload of the real CLI (s3rver)', function () {
  this.timeout(180_000);
  let server: S3TestServer;
  let dir: string;
  let config: string;
  let bucket: string;
  let n = 0;
  let daemon: DaemonProcess | null = null;

  before(async () => {
    server = await startS3rver();
  });
  after(() => server.stop());
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-reload-'));
    config = join(dir, 'config.yaml');
    bucket = `tvm-reload-${++n}`;
    await server.bucket(bucket);
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
  });
  afterEach(async () => {
    if (daemon && daemon.child.exitCode === null) {
      daemon.kill('SIGKILL');
      await daemon.exited;
    }
    daemon = null;
    rmSync(dir, { recursive: true, force: true });
  });

  /** The config file: directory `a` and the default upload keys unless the test says otherwise. */
  interface Variant {
    readonly directories?: ConfigTree[];
    readonly upload?: ConfigTree;
  }
  const write = (over: Variant): void =>
    writeDaemonConfig(
      config,
      daemonConfig({
        root: dir, endpoint: server.endpoint, bucket, vehicleId: 'cli-proc',
        directories: over.directories ?? [dirEntry(join(dir, 'a'), 'a')],
        overrides: { upload: { file_stable_seconds: 0.5, ...over.upload } },
      }),
    );

  async function start(): Promise<DaemonProcess> {
    daemon = startBin(config, { TVM_UPLOAD_LOG_LEVEL: 'debug' });
    await daemon.waitFor((l) => l.msg === 'tvm-upload running', 'start');
    return daemon;
  }

  /** Sends SIGHUP and waits for the reload's outcome line (the nth one). */
  async function hup(d: DaemonProcess, outcome: (l: LogLine) => boolean): Promise<void> {
    const before = d.count(outcome);
    d.kill('SIGHUP');
    await d.waitFor(() => d.count(outcome) > before, 'the reload outcome');
  }
  const reloaded = (l: LogLine): boolean => l.msg === 'configuration reloaded' || l.msg === 'configuration reloaded: nothing changed';

  async function objectKeys(): Promise<string[]> {
    const client = server.client();
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (r.Contents ?? []).map((o) => o.Key!).sort();
  }

  function rowStatus(path: string): string | null {
    const db = new Database(join(dir, 'state', 'tvm-upload.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT status FROM files WHERE path = ?').get(path) as { status: string } | undefined)?.status ?? null;
    } finally {
      db.close();
    }
  }

  it('keeps running on the old configuration when the new file is invalid', async () => {
    write({});
    const d = await start();
    writeFileSync(config, 'vehicle_id: [not, a, string]\nupload: {schedule: "25:00"}\n');
    await hup(d, (l) => l.msg.startsWith('configuration reload rejected'));
    await d.waitFor((l) => l.msg.startsWith('upload.schedule'), 'the problems listed');
    const problems = d.lines.filter((l) => l.level === 'error').map((l) => l.msg);
    expect(problems).to.include('vehicle_id: ["not","a","string"] is not a string');
    expect(problems.some((p) => p.startsWith('upload.schedule'))).to.equal(true);
    const p = join(dir, 'a', 'after-bad-reload.log');
    writeFileSync(p, 'still uploading\n');
    await d.waitFor(uploadedPath(p), 'an upload on the old configuration');
    expect(d.child.exitCode).to.equal(null);
    d.kill('SIGTERM');
    expect((await d.exited).code).to.equal(0);
  });

  it('uploads the files of a directory added by a reload, and no new file of a removed one', async () => {
    write({});
    const d = await start();
    const early = join(dir, 'b', 'already-there.log');
    writeFileSync(early, 'in b before the reload\n');
    write({ directories: [dirEntry(join(dir, 'b'), 'b')] });
    await hup(d, reloaded);
    const line = d.lines.find((l) => l.msg === 'configuration reloaded')!;
    expect(line).to.deep.include({ directoriesAdded: [join(dir, 'b')], directoriesRemoved: [join(dir, 'a')] });
    await d.waitFor(uploadedPath(early), 'the file found in the added directory');
    const orphan = join(dir, 'a', 'after-removal.log');
    writeFileSync(orphan, 'a is no longer watched\n');
    const live = join(dir, 'b', 'live.log');
    writeFileSync(live, 'b is watched\n');
    await d.waitFor(uploadedPath(live), 'a new file of the added directory');
    // The removed directory's file was written first and has the same stability wait: had it
    // been picked up, it would be queued by now.
    await new Promise((r) => setTimeout(r, 1500));
    expect(d.count(uploadedPath(orphan))).to.equal(0);
    expect(rowStatus(orphan)).to.equal(null);
    expect((await objectKeys()).some((k) => k.includes('after-removal'))).to.equal(false);
  });

  it('stops new uploads when a reload closes the operational-hours window', async () => {
    write({});
    const d = await start();
    const first = join(dir, 'a', 'open.log');
    writeFileSync(first, 'window open\n');
    await d.waitFor(uploadedPath(first), 'an upload while uploads are allowed');
    const now = Date.now();
    write({
      upload: { operational_hours: { enabled: true, start: hhmm(now + 2 * 3_600_000), end: hhmm(now + 3 * 3_600_000) } },
    });
    await hup(d, reloaded);
    expect(d.lines.find((l) => l.msg === 'configuration reloaded')).to.deep.include({ applied: ['upload.operational_hours'] });
    const held = join(dir, 'a', 'closed.log');
    writeFileSync(held, 'window closed\n');
    await d.waitFor((l) => l.msg === 'queued' && l.path === held, 'the file queued');
    await new Promise((r) => setTimeout(r, 1500));
    expect(d.count(uploadedPath(held))).to.equal(0);
    expect(rowStatus(held)).to.equal('queued');
  });

  it('uploads every file exactly once through a burst of ten HUPs', async () => {
    const files = Array.from({ length: 40 }, (_, i) => join(dir, 'a', `burst-${i}.log`));
    for (const f of files) writeFileSync(f, randomBytes(64 * 1024)); // incompressible: the cap bites
    // A bandwidth cap keeps uploads in flight while the HUPs arrive; reloads flip it and the
    // directory list, so every reload has work to do.
    const variant = (i: number): Variant => ({
      directories: i % 2 === 0 ? [dirEntry(join(dir, 'a'), 'a')] : [dirEntry(join(dir, 'a'), 'a'), dirEntry(join(dir, 'b'), 'b')],
      upload: { bandwidth: { max_mbps: i % 2 === 0 ? 4 : 6 } },
    });
    write(variant(0));
    const d = startBin(config);
    daemon = d;
    await d.waitFor((l) => l.msg === 'tvm-upload running', 'start');
    await d.waitFor((l) => l.msg === 'uploaded', 'uploads under way');
    const uploadedBeforeBurst = d.count((l) => l.msg === 'uploaded');
    for (let i = 1; i <= 10; i++) {
      write(variant(i));
      d.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(uploadedBeforeBurst, 'the HUPs arrived while uploads were still under way').to.be.below(files.length);
    for (const f of files) await d.waitFor(uploadedPath(f), `${f} uploaded`, 120_000);
    await d.waitFor(reloaded, 'a reload');
    for (const f of files) expect(d.count(uploadedPath(f)), f).to.equal(1);
    expect(await objectKeys()).to.have.length(files.length);
    expect(d.count((l) => l.level === 'error')).to.equal(0);
    d.kill('SIGTERM');
    expect((await d.exited).code).to.equal(0);
  });
});
