/**
 * The whole daemon, in process, against real S3-compatible servers on loopback: a config in the
 * Python reference's format, real @parcel/watcher events, real worker threads, real uploads.
 * Every object is downloaded, decompressed and compared with the file by SHA-256.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, renameSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parseConfig } from '../../../src/config/load.js';
import { Daemon } from '../../../src/daemon.js';
import { localDate } from '../../../src/sinks/s3/object-key.js';
import { createLogger, silentLogger } from '../../../src/telemetry/logger.js';
import { pino } from 'pino';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { motoUnavailableReason, startMoto, startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { missingTool } from '../../support/tools.js';
import { daemonConfigYaml, referenceDirectories } from '../../support/daemon-config.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';
import { until } from '../../support/crash-objects.js';

const BUCKET = 'tvm-daemon';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function getObject(client: S3Client, key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  const chunks: Buffer[] = [];
  for await (const c of res.Body as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function listKeys(client: S3Client): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
    for (const o of r.Contents ?? []) keys.push(o.Key!);
    token = r.NextContinuationToken;
  } while (token);
  return keys.sort();
}

function logText(lines: number): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`2026-11-30 12:00:${String(i % 60).padStart(2, '0')}.123 [INFO] [planner] step ${i} v=${(i * 7919) % 1000}`);
  return out.join('\n') + '\n';
}

function suite(name: 's3rver' | 'moto') {
  describe(`daemon end to end against ${name}`, function () {
    this.timeout(180_000);
    let server: S3TestServer | null = null;
    let client: S3Client;
    let root: string;
    let daemon: Daemon | null = null;
    let events: TelemetryEvent[] = [];

    before(async function () {
      server = name === 's3rver' ? await startS3rver() : await startMoto();
      if (server === null) {
        missingTool(this, 'moto', motoUnavailableReason() ?? 'moto_server did not start');
      }
      await server.bucket(BUCKET);
      client = server.client();
    });
    after(async () => {
      await server?.stop();
    });
    beforeEach(() => {
      root = tempDir('tvm-daemon-');
      events = [];
    });
    afterEach(async () => {
      await daemon?.close(5000);
      daemon = null;
      removeDir(root);
    });

    /** The shared test config with this file's three sources and the status endpoint on port 0. */
    function config() {
      const yaml = daemonConfigYaml({
        root,
        endpoint: server!.endpoint,
        bucket: BUCKET,
        vehicleId: `vehicle-${name}`,
        directories: referenceDirectories(root),
        overrides: { upload: { processed_files_registry: { retention_days: 30 } }, monitoring: { http: { enabled: true, listen: '127.0.0.1:0' } } },
      });
      return parseConfig(yaml, { env: {} });
    }

    async function start(): Promise<Daemon> {
      const telemetry = new Telemetry(silentLogger());
      telemetry.on((e) => events.push(e));
      const logger = process.env.TVM_TEST_LOG ? createLogger({ level: 'debug', destination: pino.destination({ dest: process.env.TVM_TEST_LOG, sync: true, append: true }) }) : silentLogger();
      daemon = await Daemon.start({ config: config(), logger, s3Credentials: server!.credentials, telemetry });
      return daemon;
    }

    const uploaded = () => events.filter((e): e is Extract<TelemetryEvent, { type: 'file.uploaded' }> => e.type === 'file.uploaded');
    const dateOf = (mtimeMs: number) => localDate(mtimeMs);

    async function expectObject(key: string, original: Buffer, gz: boolean) {
      const body = await getObject(client, key);
      expect(sha(gz ? gunzipSync(body) : body), key).to.equal(sha(original));
    }

    it('uploads existing and new files under the reference layout, byte-identical after decompression', async () => {
      const ros = join(root, 'logs/ros/run-1/nested');
      mkdirSync(ros, { recursive: true });
      const launch = Buffer.from(logText(5000));
      writeFileSync(join(ros, 'launch.log'), launch);
      const old = Date.now() / 1000 - 600;
      utimesSync(join(ros, 'launch.log'), old, old);
      await start();
      // Live files: a terminal log, a pattern miss, a syslog in a subfolder (non-recursive), a dot-file.
      mkdirSync(join(root, 'logs/syslog/sub'), { recursive: true });
      const term = Buffer.from(logText(300));
      writeFileSync(join(root, 'logs/terminal/session.log'), term);
      writeFileSync(join(root, 'logs/terminal/ignored.txt'), 'not matched');
      writeFileSync(join(root, 'logs/terminal/.hidden.log'), 'hidden');
      writeFileSync(join(root, 'logs/syslog/sub/syslog'), 'sub-directory');
      const sys = Buffer.from(logText(100));
      writeFileSync(join(root, 'logs/syslog/syslog'), sys);
      await until(() => uploaded().length >= 3, 'three uploads');
      await daemon!.whenIdle();
      const vid = `vehicle-${name}`;
      const today = dateOf(Date.now());
      expect(await listKeys(client)).to.deep.equal(
        [
          `${vid}/${dateOf(old * 1000)}/ros/run-1/nested/launch.log.gz`,
          `${vid}/${today}/syslog/syslog.gz`,
          `${vid}/${today}/terminal/session.log.gz`,
        ].sort(),
      );
      await expectObject(`${vid}/${dateOf(old * 1000)}/ros/run-1/nested/launch.log.gz`, launch, true);
      await expectObject(`${vid}/${today}/terminal/session.log.gz`, term, true);
      await expectObject(`${vid}/${today}/syslog/syslog.gz`, sys, true);
    });

    it('picks up a file that appears by rename, and hostile names', async () => {
      await start();
      const dir = join(root, 'logs/ros');
      const names = ['ünïcödé 🚗.log', 'spaces and %25 #hash +plus.log', '-leading-dash.log', 'x'.repeat(200) + '.log'];
      const bodies = new Map<string, Buffer>();
      for (const n of names) {
        const b = Buffer.from(logText(50) + n);
        bodies.set(n, b);
        writeFileSync(join(dir, n), b);
      }
      const tmp = join(dir, '.writing.tmp');
      const renamed = Buffer.from(logText(80));
      writeFileSync(tmp, renamed);
      renameSync(tmp, join(dir, 'final.log'));
      bodies.set('final.log', renamed);
      await until(() => uploaded().length >= bodies.size, `${bodies.size} uploads`).catch((err: Error) => {
        throw new Error(`${err.message}; events: ${JSON.stringify(events.map((e) => [e.type, 'path' in e ? e.path : '']))}`);
      });
      const today = dateOf(Date.now());
      for (const [n, b] of bodies) await expectObject(`vehicle-${name}/${today}/ros/${n}.gz`, b, true);
    });

    it('uploads a 50 MB file as multipart, identical after decompression, and a binary file as it is', async () => {
      await start();
      // Log text first (the codec decision samples the first MiB), then enough random bytes that the
      // compressed object still spans several 5 MiB parts.
      const big = Buffer.concat([Buffer.from(logText(300_000)), randomBytes(20 * 1024 * 1024), Buffer.from(logText(100_000))]);
      writeFileSync(join(root, 'logs/ros/big.log'), big);
      const bin = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), randomBytes(100_000)]);
      writeFileSync(join(root, 'logs/ros/already.gz'), bin);
      await until(() => uploaded().length >= 2, 'two uploads', 150_000);
      const today = dateOf(Date.now());
      const bigEvent = uploaded().find((e) => e.path.endsWith('big.log'))!;
      expect(bigEvent.sentBytes).to.be.greaterThan(5 * 1024 * 1024); // more than one part
      await expectObject(`vehicle-${name}/${today}/ros/big.log.gz`, big, true);
      await expectObject(`vehicle-${name}/${today}/ros/already.gz`, bin, false);
    });

    it('uploads a file that grows for 3 s once, complete', async () => {
      await start();
      const p = join(root, 'logs/terminal/growing.log');
      let all = '';
      for (let i = 0; i < 12; i++) {
        const chunk = logText(200) + `chunk ${i}\n`;
        all += chunk;
        appendFileSync(p, chunk);
        await new Promise((r) => setTimeout(r, 250));
      }
      await until(() => uploaded().length >= 1, 'the grown file');
      await new Promise((r) => setTimeout(r, 1500)); // a second upload would need another quiet period
      await daemon!.whenIdle();
      expect(uploaded().filter((e) => e.path === p)).to.have.length(1);
      await expectObject(`vehicle-${name}/${dateOf(Date.now())}/terminal/growing.log.gz`, Buffer.from(all), true);
    });

    it('re-sends nothing after a restart with unchanged files, and re-sends a changed one', async () => {
      const dir = join(root, 'logs/ros');
      mkdirSync(dir, { recursive: true });
      const old = Date.now() / 1000 - 600;
      for (let i = 0; i < 5; i++) {
        writeFileSync(join(dir, `f${i}.log`), logText(100 + i));
        utimesSync(join(dir, `f${i}.log`), old, old);
      }
      await start();
      await until(() => uploaded().length >= 5, 'five uploads').catch((err: Error) => {
        throw new Error(`${err.message}; events: ${JSON.stringify(events)}`);
      });
      await daemon!.close(5000);
      daemon = null;
      events = [];
      appendFileSync(join(dir, 'f0.log'), 'one more line\n');
      utimesSync(join(dir, 'f0.log'), old + 1, old + 1);
      await start();
      await until(() => uploaded().length >= 1, 'the changed file');
      await daemon!.whenIdle();
      expect(uploaded().map((e) => e.path)).to.deep.equal([join(dir, 'f0.log')]);
    });

    it('imports the Python daemon\'s queue.json and uploads what it held', async () => {
      const dir = join(root, 'logs/ros');
      mkdirSync(dir, { recursive: true });
      mkdirSync(join(root, 'legacy'));
      const body = Buffer.from(logText(400));
      writeFileSync(join(dir, 'queued.log'), body);
      const old = Date.now() / 1000 - 5 * 86400; // older than max_age_days: only the legacy queue knows it
      utimesSync(join(dir, 'queued.log'), old, old);
      writeFileSync(
        join(root, 'legacy/queue.json'),
        JSON.stringify([{ filepath: join(dir, 'queued.log'), size: body.length, detected_at: '2026-11-25T10:00:00.000000', attempts: 2 }], null, 2),
      );
      await start();
      await until(() => uploaded().length >= 1, 'the legacy-queued file');
      await expectObject(`vehicle-${name}/${dateOf(old * 1000)}/ros/queued.log.gz`, body, true);
    });
  });
}

suite('s3rver');
suite('moto');
