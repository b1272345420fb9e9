/**
 * The real CLI started on a damaged state: a state database that is garbage, half-written, empty
 * or not a file, and the Python reference's queue/registry documents corrupt, truncated or of the
 * wrong shape. The daemon must start (unless the state dir is truly unusable), say in one log
 * line which file was affected and what it did about it, upload what the startup scan
 * re-discovers, and not re-send objects S3 already holds with the same content.
 */
import { expect } from 'chai';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { startS3rver, type S3TestServer } from '../support/s3-servers.js';
import { DaemonProcess, type LogLine } from '../support/daemon-process.js';
import { seededRandom } from '../support/seeded-random.js';
import { lastModified, objectContentSha, sha256, until } from '../support/crash-objects.js';
import { runCli, statusJson } from '../support/crash-cli.js';
import { logText } from '../support/crash-workload.js';
import { DB_DAMAGE, queueJson, registryJson, replaceWithDirectory, truncatedText } from '../support/crash-damage.js';
import { daemonConfigYaml } from '../support/daemon-config.js';

const BUCKET = 'tvm-corrupt';
const ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_PROFILE: '', AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' };
const SKIP_MSG = 'already in S3 with the same content, not re-sent';
const rnd = seededRandom(4242);

describe('damaged state at start-up (real CLI, s3rver)', function () {
  this.timeout(180_000);
  let server: S3TestServer;
  let client: S3Client;

  before(async () => {
    server = await startS3rver();
    await server.bucket(BUCKET);
    client = server.client();
  });
  after(() => server?.stop());

  function writeConfig(root: string, vehicle: string): string {
    const config = join(root, 'config.yaml');
    const yaml = daemonConfigYaml({
      root,
      endpoint: server.endpoint,
      bucket: BUCKET,
      vehicleId: vehicle,
      directories: [{ path: `${root}/logs/ros`, source: 'ros' }],
      overrides: { upload: { schedule: '03:00', file_stable_seconds: 0.2, part_size_mb: undefined, retry: { base_seconds: 0.05, max_seconds: 0.5 } } },
    });
    writeFileSync(config, yaml);
    return config;
  }

  /** Writes a log file with an mtime `ageSec` in the past; returns its path and hash. */
  function logFile(root: string, name: string, ageSec = 600): { path: string; sha: string; size: number; mtimeMs: number } {
    const path = join(root, 'logs/ros', name);
    mkdirSync(join(root, 'logs/ros'), { recursive: true });
    const body = Buffer.from(logText(rnd, 50 + rnd.int(400)));
    writeFileSync(path, body);
    const t = Date.now() / 1000 - ageSec;
    utimesSync(path, t, t);
    return { path, sha: sha256(body), size: body.length, mtimeMs: statSync(path).mtimeMs };
  }

  /** Runs the daemon until `ready` holds and status shows nothing queued or in flight, then SIGTERM (exit 0). */
  async function runToIdle(config: string, ready: (d: DaemonProcess) => boolean, what: string): Promise<DaemonProcess> {
    const d = DaemonProcess.start(['run', '--config', config], ENV);
    await d.waitFor((l) => l.msg === 'tvm-upload running', 'start', 90_000);
    await until(() => ready(d), what, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; lines: ${JSON.stringify(d.lines.map((l) => [l.level, l.msg, l.path]))}`);
    });
    await until(async () => {
      const s = await statusJson(config, ENV);
      return s !== null && s.queued === 0 && s.inFlight === 0;
    }, 'an idle queue', 60_000, 200);
    d.kill('SIGTERM');
    const exit = await d.exited;
    expect(exit.code, d.stderr.join('')).to.equal(0);
    expect(d.stderr.join('')).not.to.include('    at ');
    return d;
  }

  const uploadedPaths = (d: DaemonProcess, msg = 'uploaded'): string[] => d.lines.filter((l) => l.msg === msg).map((l) => String(l.path)).sort();

  describe('the state database', () => {
    let root: string;
    let config: string;
    let state: string;
    let dbPath: string;
    const seeds: Array<{ path: string; key: string; modified: number }> = [];

    before(async () => {
      root = mkdtempSync(join(tmpdir(), 'tvm-corrupt-db-'));
      config = writeConfig(root, 'corrupt-db');
      state = join(root, 'state');
      dbPath = join(state, 'tvm-upload.db');
      const files = ['a.log', 'b.log', 'c.log', 'd.log'].map((n) => logFile(root, n));
      const d = await runToIdle(config, (p) => p.count((l) => l.msg === 'uploaded') === files.length, 'the seed uploads');
      for (const f of files) {
        const key = String(d.lines.find((l) => l.msg === 'uploaded' && l.path === f.path)!.key);
        seeds.push({ path: f.path, key, modified: 0 });
      }
      cpSync(state, join(root, 'good-state'), { recursive: true });
    });
    after(() => rmSync(root, { recursive: true, force: true }));
    beforeEach(async () => {
      rmSync(state, { recursive: true, force: true });
      cpSync(join(root, 'good-state'), state, { recursive: true });
      // A case that failed may have re-sent objects; each case judges only its own run.
      for (const s of seeds) {
        const modified = await lastModified(client, BUCKET, s.key);
        // Without this, a seed object gone from the bucket gives null == null below and the
        // "re-sends nothing" check would pass without comparing anything.
        expect(modified, `the seed object ${s.key} is in the bucket`).to.be.a('number');
        s.modified = modified!;
      }
    });

    /** Every seed file was either uploaded again or reported as already in S3. */
    const seedsSettled = (d: DaemonProcess): boolean =>
      seeds.every((s) => uploadedPaths(d).includes(s.path) || uploadedPaths(d, SKIP_MSG).includes(s.path));

    async function expectNothingReSent(d: DaemonProcess): Promise<void> {
      for (const s of seeds) {
        expect(uploadedPaths(d), 'files uploaded again').not.to.include(s.path);
        const modified = await lastModified(client, BUCKET, s.key);
        expect(modified, `${s.key} is still in the bucket`).to.be.a('number');
        expect(modified, `LastModified of ${s.key}`).to.equal(s.modified);
      }
    }

    for (const [name, damage] of Object.entries(DB_DAMAGE)) {
      it(`moves a database with ${name} aside, says so, uploads the new file and re-sends nothing`, async () => {
        damage(dbPath);
        const fresh = logFile(root, `new-${name.replace(/\W+/g, '-')}.log`);
        try {
          const d = await runToIdle(
            config,
            (p) => uploadedPaths(p).includes(fresh.path) && seedsSettled(p),
            'the new upload and an outcome for every seed file',
          );
          await expectNothingReSent(d);
          expect(uploadedPaths(d, SKIP_MSG)).to.deep.equal(seeds.map((s) => s.path).sort());
          const said: LogLine | undefined = d.lines.find((l) => l.level === 'error' && l.msg.includes(dbPath) && l.msg.includes('moved it aside'));
          expect(said, 'a log line naming the database and what was done').not.to.equal(undefined);
          expect(existsSync(String(said!.movedTo)), `moved-aside copy ${String(said!.movedTo)}`).to.equal(true);
          const key = String(d.lines.find((l) => l.msg === 'uploaded' && l.path === fresh.path)!.key);
          expect(await objectContentSha(client, BUCKET, key)).to.equal(fresh.sha);
        } finally {
          rmSync(fresh.path, { force: true });
        }
      });
    }

    it('ignores a garbage WAL next to an intact database: nothing re-sent, nothing even checked', async () => {
      writeFileSync(`${dbPath}-wal`, seededRandom(9).fill(Buffer.alloc(32 * 1024)));
      const fresh = logFile(root, 'new-after-garbage-wal.log');
      try {
        const d = await runToIdle(config, (p) => uploadedPaths(p).includes(fresh.path), 'the new upload');
        expect(uploadedPaths(d)).to.deep.equal([fresh.path]);
        expect(uploadedPaths(d, SKIP_MSG)).to.deep.equal([]);
        await expectNothingReSent(d);
      } finally {
        rmSync(fresh.path, { force: true });
      }
    });

    it('refuses to start (exit 1, one clear line naming the path) when a directory sits where the database should be', async () => {
      replaceWithDirectory(dbPath);
      const r = await runCli(['run', '--config', config], ENV, 90_000);
      expect(r.timedOut, 'the daemon started instead of refusing').to.equal(false);
      expect(r.status, r.stderr).to.equal(1);
      expect(r.stderr).to.include(dbPath);
      expect(r.stderr).not.to.include('    at ');
      expect(existsSync(join(dbPath, 'README')), 'the directory is left alone').to.equal(true);
    });
  });

  describe("the Python daemon's queue and registry (first start)", () => {
    let root: string;
    let n = 0;
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'tvm-corrupt-legacy-'));
      mkdirSync(join(root, 'legacy'));
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    interface Layout {
      queue?: string;
      bak?: string;
      registry?: string;
    }

    /** Two recent files, one old file only a queue can name, one file the registry lists as uploaded. */
    function scenario(layout: (f: Record<'recent1' | 'recent2' | 'old' | 'registered', ReturnType<typeof logFile>>) => Layout) {
      const config = writeConfig(root, `legacy-${++n}`);
      const f = {
        recent1: logFile(root, 'recent-1.log'),
        recent2: logFile(root, 'recent-2.log'),
        old: logFile(root, 'old-queued.log', 10 * 86_400),
        registered: logFile(root, 'registered.log'),
      };
      const l = layout(f);
      const q = join(root, 'legacy/queue.json');
      if (l.queue !== undefined) writeFileSync(q, l.queue);
      if (l.bak !== undefined) writeFileSync(`${q}.bak`, l.bak);
      if (l.registry !== undefined) writeFileSync(join(root, 'legacy/processed_files.json'), l.registry);
      return { config, f, q, reg: join(root, 'legacy/processed_files.json') };
    }

    async function run(config: string, expected: string[]): Promise<DaemonProcess> {
      const d = await runToIdle(config, (p) => expected.every((e) => uploadedPaths(p).includes(e)), `uploads of ${expected.join(', ')}`);
      expect(uploadedPaths(d)).to.deep.equal([...expected].sort());
      for (const line of d.lines.filter((x) => x.msg === 'uploaded')) {
        expect(await objectContentSha(client, BUCKET, String(line.key)), String(line.key)).to.equal(sha256(readFileSync(String(line.path))));
      }
      return d;
    }

    const skipLine = (d: DaemonProcess, file: string, reason: RegExp): LogLine | undefined =>
      d.lines.find((l) => l.level === 'warn' && l.file === file && l.msg.startsWith(`legacy import skipped ${file}: `) && reason.test(l.msg));

    it('uses queue.json.bak when queue.json is corrupt, and honours the registry', async () => {
      const s = scenario((f) => ({
        queue: '[{"filepath": "' + f.old.path + '", "si',
        bak: queueJson([{ filepath: f.old.path, size: f.old.size, detected_at: '2026-11-20T08:00:00.000000', attempts: 1 }]),
        registry: registryJson([f.registered], Date.now() / 1000),
      }));
      const d = await run(s.config, [s.f.recent1.path, s.f.recent2.path, s.f.old.path]);
      expect(skipLine(d, s.q, /not valid JSON/), 'a line naming queue.json').not.to.equal(undefined);
    });

    it('skips both a corrupt queue.json and a corrupt .bak, naming each, and uploads what the scan finds', async () => {
      const s = scenario((f) => ({
        queue: seededRandom(5).fill(Buffer.alloc(300)).toString('latin1'),
        bak: truncatedText(queueJson([{ filepath: f.old.path, size: f.old.size, detected_at: '2026-11-20T08:00:00.000000', attempts: 0 }])),
        registry: registryJson([f.registered], Date.now() / 1000),
      }));
      const d = await run(s.config, [s.f.recent1.path, s.f.recent2.path]);
      expect(skipLine(d, s.q, /not valid JSON/), 'a line naming queue.json').not.to.equal(undefined);
      expect(skipLine(d, `${s.q}.bak`, /not valid JSON/), 'a line naming queue.json.bak').not.to.equal(undefined);
    });

    it('skips a truncated registry, naming it, and re-uploads the files it listed', async () => {
      const s = scenario((f) => ({
        queue: queueJson([{ filepath: f.old.path, size: f.old.size, detected_at: '2026-11-20T08:00:00.000000', attempts: 0 }]),
        registry: truncatedText(registryJson([f.registered, f.recent1], Date.now() / 1000)),
      }));
      const d = await run(s.config, [s.f.recent1.path, s.f.recent2.path, s.f.old.path, s.f.registered.path]);
      expect(skipLine(d, s.reg, /not valid JSON/), 'a line naming the registry').not.to.equal(undefined);
    });

    it('skips documents of the wrong shape (queue as {"files": […]}, registry as a list), naming each', async () => {
      const s = scenario((f) => ({
        queue: JSON.stringify({ files: [{ filepath: f.old.path, size: f.old.size }] }),
        registry: JSON.stringify([{ filepath: f.registered.path }]),
      }));
      const d = await run(s.config, [s.f.recent1.path, s.f.recent2.path, s.f.registered.path]);
      expect(skipLine(d, s.q, /expected a JSON array/), 'a line naming queue.json').not.to.equal(undefined);
      expect(skipLine(d, s.reg, /expected a JSON object/), 'a line naming the registry').not.to.equal(undefined);
    });

    it('skips entries of the wrong shape one by one and keeps the valid ones', async () => {
      const s = scenario((f) => ({
        queue: queueJson([42, { filepath: 'relative.log', size: 1 }, { filepath: f.old.path, size: '12' }, { filepath: f.old.path, size: f.old.size }]),
        registry: JSON.stringify({ _metadata: {}, files: { 'x::1::2': 'not an object', [`${f.registered.path}::${f.registered.size}::1`]: { processed_at: 'yesterday', size: f.registered.size, mtime: 1, filepath: f.registered.path } } }),
      }));
      const d = await run(s.config, [s.f.recent1.path, s.f.recent2.path, s.f.old.path, s.f.registered.path]);
      expect(skipLine(d, `${s.q}[0]`, /expected an object/)).not.to.equal(undefined);
      expect(skipLine(d, `${s.q}[1]`, /is not absolute/)).not.to.equal(undefined);
      expect(skipLine(d, `${s.q}[2]`, /size must be a non-negative integer/)).not.to.equal(undefined);
      expect(d.lines.filter((l) => typeof l.file === 'string' && l.file.startsWith(`${s.reg}: entry`)), 'registry entry skips').to.have.length(2);
    });
  });
});
