/**
 * Crash safety of the real CLI: `tvm-upload run` as a child process against s3rver, then against
 * moto (which answers ListParts, so a restart reconciles a half-done multipart upload with the
 * server's parts instead of trusting its own records), is SIGKILLed
 * at seeded random moments (and twice while a multipart upload is provably half done), restarted
 * on the same state dir each time, with files created and appended between and during runs.
 * A last run goes to completion. Then every file must be in the bucket exactly once, byte for
 * byte, nothing local deleted, the queue empty and the database intact.
 *
 * Reproduce a failure with TVM_CRASH_SEED=<seed printed by the run>.
 */
import { expect } from 'chai';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { motoUnavailableReason, startMoto, startS3rver, type S3TestServer } from '../support/s3-servers.js';
import { missingTool } from '../support/tools.js';
import { DaemonProcess } from '../support/daemon-process.js';
import { seededRandom } from '../support/seeded-random.js';
import { listKeys, objectContentSha, sha256, sleep, until } from '../support/crash-objects.js';
import { statusJson, withStateDb } from '../support/crash-cli.js';
import { logText, Workload, type WrittenFile } from '../support/crash-workload.js';
import { daemonConfigYaml } from '../support/daemon-config.js';
import { tempDir, removeDir } from '../support/temp-dir.js';

const BUCKET = 'tvm-crash';
const VID = 'crash-car';
const KILLS = 12;
const SEED = Number(process.env.TVM_CRASH_SEED ?? 20261130);

interface KillRecord {
  readonly n: number;
  readonly trigger: string;
  readonly afterMs: number;
  readonly multipartRows: number;
  readonly partsRecorded: number;
  readonly inFlightRows: number;
  readonly uploadedLines: number;
}

const RESUMED = 'resuming multipart upload';
const NO_LIST_PARTS = 'server does not implement ListParts; trusting recorded parts';

for (const kind of ['s3rver', 'moto'] as const) describe(`SIGKILL during uploads against ${kind} (seed ${SEED})`, function () {
  this.timeout(240_000);
  let server: S3TestServer;
  let ENV: NodeJS.ProcessEnv;
  /** Log lines of every run, for the multipart resume path each server takes. */
  let resumed = 0;
  let listPartsMissing = 0;
  let client: S3Client;
  let root: string;
  let config: string;
  let stateDir: string;
  const rnd = seededRandom(SEED);
  const kills: KillRecord[] = [];

  before(async function () {
    const started = kind === 's3rver' ? await startS3rver() : await startMoto();
    if (started === null) missingTool(this, 'moto', motoUnavailableReason() ?? 'moto_server did not start');
    server = started;
    ENV = { AWS_ACCESS_KEY_ID: server.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey, AWS_PROFILE: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
    await server.bucket(BUCKET);
    client = server.client();
    root = tempDir(`tvm-crash-${kind}-`);
    stateDir = join(root, 'state');
    config = join(root, 'config.yaml');
    mkdirSync(join(root, 'logs'), { recursive: true });
    writeFileSync(
      config,
      daemonConfigYaml({
        root,
        endpoint: server.endpoint,
        bucket: BUCKET,
        vehicleId: VID,
        directories: [
          { path: `${root}/logs/ros`, source: 'ros' },
          { path: `${root}/logs/bags`, source: 'bags' },
        ],
        overrides: {
          upload: { schedule: '03:00', file_stable_seconds: 0.3, scan_existing_files: { max_age_days: 0 }, concurrency: 4, workers: 1, retry: { base_seconds: 0.05, max_seconds: 0.5 } },
        },
      }),
    );
  });
  after(async () => {
    await server?.stop();
    if (root) removeDir(root);
  });

  /** Progress the database shows while no daemon runs (or read-only while one does). */
  const dbProgress = (): { multipart: number; parts: number; inFlight: number } =>
    withStateDb(stateDir, (db) => ({
      multipart: (db.prepare('SELECT COUNT(*) AS n FROM multipart').get() as { n: number }).n,
      parts: (db.prepare('SELECT COUNT(*) AS n FROM multipart_parts').get() as { n: number }).n,
      inFlight: (db.prepare("SELECT COUNT(*) AS n FROM files WHERE status = 'in_flight'").get() as { n: number }).n,
    }));

  /** Completed parts recorded for unfinished multipart uploads (0 before the database exists). */
  const partsRecorded = (): number => {
    try {
      return dbProgress().parts;
    } catch {
      return 0; // database not created yet, or busy
    }
  };

  it('loses nothing, duplicates nothing and keeps the database intact', async () => {
    const w = new Workload(join(root, 'logs'), rnd);
    // Multipart files first, so the first runs are busy with them: a gzip-compressed one (spool
    // file), one stored as-is by extension and one found incompressible (uploaded from the source).
    w.big('bags', 'camera/front.log', 20_000, 18);
    w.big('bags', 'drive-1.bag', 0, 16);
    w.big('bags', 'lidar.bin', 0, 17);
    for (let i = 0; i < 120; i++) w.small('ros');
    const growing: WrittenFile[] = [];
    // Growing files start as compressible log text: a file first stored raw (too small to gain
    // from gzip) and later as .gz changes key, which hostile-files.test.ts covers on its own.
    for (let i = 0; i < 3; i++) growing.push(w.write('ros', `live/growing-${i}.log`, Buffer.from(logText(rnd, 30)), true));

    for (let n = 1; n <= KILLS; n++) {
      // Debug level: the multipart resume lines say which path a restart took.
      const d = DaemonProcess.start(['run', '--config', config, '--log-level', 'debug'], ENV);
      await d.waitFor((l) => l.msg === 'tvm-upload running', `start #${n}`, 90_000);
      const t0 = Date.now();
      let trigger: string;
      if (n <= 2) {
        // Event-based: a multipart upload is provably half done (this run recorded a part, and the
        // upload is not complete, or its progress rows would be gone).
        const before = partsRecorded();
        trigger = 'multipart part recorded';
        await until(() => partsRecorded() > before, 'a newly recorded multipart part', 30_000, 20).catch(() => {
          trigger = 'multipart wait timed out';
        });
      } else {
        const delay = 200 + rnd.int(2300);
        trigger = `seeded delay ${delay} ms`;
        // Files grow while the daemon runs, at a seeded moment inside the delay.
        const split = rnd.int(delay);
        await sleep(split);
        if (rnd.next() < 0.7) w.append(rnd.pick(growing).path, 20 + rnd.int(200));
        await sleep(delay - split);
      }
      d.kill('SIGKILL');
      const exit = await d.exited;
      expect(exit.signal, `run #${n} ended by ${JSON.stringify(exit)}; stderr: ${d.stderr.join('')}`).to.equal('SIGKILL');
      resumed += d.count((l) => l.msg === RESUMED);
      listPartsMissing += d.count((l) => l.msg === NO_LIST_PARTS);
      const p = dbProgress();
      kills.push({ n, trigger, afterMs: Date.now() - t0, multipartRows: p.multipart, partsRecorded: p.parts, inFlightRows: p.inFlight, uploadedLines: d.count((l) => l.msg === 'uploaded') });
      expect(withStateDb(stateDir, (db) => db.pragma('quick_check', { simple: true })), `quick_check after kill #${n}`).to.equal('ok');

      // Between some restarts the vehicle keeps logging.
      if (rnd.next() < 0.6) {
        for (let i = 0, k = 5 + rnd.int(15); i < k; i++) w.small('ros');
        w.append(rnd.pick(growing).path, 50 + rnd.int(300));
      }
      if (n === 6) w.big('bags', 'drive-2.bag', 0, 12);
    }
    while ([...w.files.values()].filter((f) => f.source === 'ros').length < 200 + growing.length) w.small('ros');

    // The last run goes to completion: until status reports nothing queued or in flight.
    const d = DaemonProcess.start(['run', '--config', config, '--log-level', 'debug'], ENV);
    await d.waitFor((l) => l.msg === 'tvm-upload running', 'the final start', 90_000);
    let last = '';
    await until(async () => {
      const s = await statusJson(config, ENV);
      last = JSON.stringify(s);
      return s !== null && s.queued === 0 && s.inFlight === 0 && s.uploaded === w.files.size;
    }, 'an empty queue', 120_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}; last status ${last}; expected ${w.files.size} uploaded; last lines ${JSON.stringify(d.lines.slice(-5))}`);
    });
    d.kill('SIGTERM');
    const exit = await d.exited;
    expect(exit.code, d.stderr.join('')).to.equal(0);
    resumed += d.count((l) => l.msg === RESUMED);
    listPartsMissing += d.count((l) => l.msg === NO_LIST_PARTS);

    const midMp = kills.filter((k) => k.multipartRows > 0).length;
    console.log(`      ${kind}, seed ${SEED}: ${kills.length} kills, ${midMp} landed mid-multipart, ${resumed} multipart resumes (${listPartsMissing} without ListParts), files ${w.files.size}`);
    for (const k of kills) console.log(`        kill #${k.n} (${k.trigger}, ${k.afterMs} ms): multipart ${k.multipartRows} (parts ${k.partsRecorded}), in flight ${k.inFlightRows}, uploaded this run ${k.uploadedLines}`);
    expect(midMp, 'kills that landed while a multipart upload was half done').to.be.at.least(1);
    expect(resumed, 'restarts that resumed a half-done multipart upload').to.be.at.least(1);
    // moto answers ListParts: every resume reconciled with the server's parts (the adopt path).
    if (kind === 'moto') expect(listPartsMissing, 'resumes that could not list the server\'s parts').to.equal(0);

    // Every file exactly once, under its key, with its final content; nothing else in the bucket.
    const keys = await listKeys(client, BUCKET);
    const expected = new Map<string, WrittenFile>();
    for (const f of w.files.values()) expected.set(w.keyOf(VID, f), f);
    const seen = new Map<string, string[]>();
    for (const key of keys) {
      const base = key.endsWith('.gz') ? key.slice(0, -3) : key;
      expect(expected.has(base), `unexpected object ${key}`).to.equal(true);
      seen.set(base, [...(seen.get(base) ?? []), key]);
    }
    for (const [base, f] of expected) {
      const got = seen.get(base) ?? [];
      expect(got, `objects for ${f.path}: ${JSON.stringify(got)}`).to.have.length(1);
      expect(await objectContentSha(client, BUCKET, got[0]!), `content of ${got[0]}`).to.equal(f.sha);
      // Deletion is off: the file is still there, unchanged.
      expect(sha256(readFileSync(f.path)), `local ${f.path}`).to.equal(f.sha);
    }

    withStateDb(stateDir, (db) => {
      expect(db.pragma('integrity_check', { simple: true })).to.equal('ok');
      const rows = db.prepare('SELECT status, COUNT(*) AS n FROM files GROUP BY status').all() as Array<{ status: string; n: number }>;
      expect(rows).to.deep.equal([{ status: 'uploaded', n: w.files.size }]);
      expect((db.prepare('SELECT COUNT(*) AS n FROM multipart').get() as { n: number }).n).to.equal(0);
    });
  });
});
