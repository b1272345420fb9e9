/**
 * The real daemon, in process, against s3rver, with a watched tree full of things a log
 * directory should not contain or that change at the worst moment. Each entry must end as a
 * correct upload (verified by SHA-256) or a clear skip / logged failure; never a crash, a hang
 * (a normal file written last is still uploaded) or an unhandled rejection.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { appendFileSync, chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { S3Client } from '@aws-sdk/client-s3';
import { ErrorCodes } from '../../src/errors.js';
import { isVersionOf, localDate } from '../../src/sinks/s3/object-key.js';
import { motoUnavailableReason, startMoto, startS3rver, type S3TestServer } from '../support/s3-servers.js';
import { seededRandom } from '../support/seeded-random.js';
import { listKeys, objectContentSha, sha256, until } from '../support/crash-objects.js';
import { logText } from '../support/crash-workload.js';
import { RecordedDaemon, RejectionRecorder } from '../support/bad-input-daemon.js';
import { missingTool } from '../support/tools.js';
import { daemonConfigYaml, type ConfigTree } from '../support/daemon-config.js';

const BUCKET = 'tvm-hostile';
const VID = 'hostile-car';
const rnd = seededRandom(31337);
const run = promisify(execFile);

describe('hostile files in a watched tree (in-process daemon, s3rver)', function () {
  this.timeout(180_000);
  let server: S3TestServer;
  let client: S3Client;
  let root: string;
  let logs: string;
  let d: RecordedDaemon | null = null;
  const rejections = new RejectionRecorder();

  before(async () => {
    rejections.install();
    server = await startS3rver();
    await server.bucket(BUCKET);
    client = server.client();
  });
  after(async () => {
    rejections.uninstall();
    await server?.stop();
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tvm-hostile-'));
    logs = join(root, 'logs/ros');
    mkdirSync(logs, { recursive: true });
  });
  afterEach(async () => {
    await d?.daemon.close(5000);
    d = null;
    rmSync(root, { recursive: true, force: true });
  });

  /**
   * Each test ends by closing its daemon and failing, itself, if a promise rejection went
   * unhandled meanwhile. (An assertion in afterEach would fail the hook instead: mocha then
   * skips every later test in the file and the report names no test.)
   */
  function clean(body: (this: Mocha.Context) => Promise<void>): (this: Mocha.Context) => Promise<void> {
    return async function (this: Mocha.Context) {
      const before = rejections.seen.length;
      await body.call(this);
      await d?.daemon.close(5000);
      d = null;
      expect(rejections.seen.slice(before).map(String), 'unhandled rejections').to.deep.equal([]);
    };
  }

  const config = (upload: ConfigTree = {}): string =>
    daemonConfigYaml({
      root,
      endpoint: server.endpoint,
      bucket: BUCKET,
      vehicleId: VID,
      directories: [{ path: logs, source: 'ros' }],
      overrides: { upload: { schedule: '03:00', file_stable_seconds: 0.3, scan_existing_files: undefined, retry: { base_seconds: 0.2, max_seconds: 2 }, ...upload } },
    });

  /** Writes `rel` below the watched directory; returns its path and content. */
  function write(rel: string, content: Buffer = Buffer.from(logText(rnd, 20 + rnd.int(200)))): { path: string; rel: string; content: Buffer } {
    const path = join(logs, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
    return { path, rel, content };
  }

  /**
   * The object for `path` holds `content` under `<vid>/<date>/ros/<rel>[.gz]`, or a version of that
   * key (`~NNNN`) when the key already held another content (CONFIGURATION.md, "Object keys").
   */
  async function expectObject(path: string, rel: string, content: Buffer): Promise<void> {
    const ups = d!.uploaded(path);
    expect(ups.length, `uploads of ${rel}`).to.be.at.least(1);
    const key = ups.at(-1)!.key;
    const base = `${VID}/${localDate(lstatSync(path).mtimeMs)}/ros/${rel}`;
    expect(isVersionOf(key, base) || isVersionOf(key, `${base}.gz`), `key of ${rel}: ${key}`).to.equal(true);
    expect(await objectContentSha(client, BUCKET, key), `content of ${key}`).to.equal(sha256(content));
  }

  async function idle(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`daemon never became idle; events: ${d!.summary()}`)), 60_000);
    });
    try {
      await Promise.race([d!.daemon.whenIdle(), hang]);
    } finally {
      clearTimeout(timer);
    }
  }

  it('uploads odd names, rejects unusable ones with a clear error, ignores links and special files', clean(async () => {
    d = await RecordedDaemon.start(server, config());
    const outside = join(root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.log'), 'outside the watched tree\n');

    const good = [
      write('ünïcödé 🚗 ログ.log'),
      write('spaces %25 #hash +plus &x=1 ~tilde.log'),
      write('-rf --help.log'),
      // 230 bytes: the longest name s3rver can store (it appends "._S3rver_metadata.json" to
      // the key's last segment on its own file system); 255 bytes is tested against moto below.
      write(`${'n'.repeat(226)}.log`),
      write(`${Array.from({ length: 40 }, (_, i) => `d${String(i).padStart(2, '0')}`).join('/')}/deep.log`),
      write('empty.log', Buffer.alloc(0)),
      write('sub/also-empty.log', Buffer.alloc(0)),
    ];
    const badKey = [
      write('new\nline.log'),
      write('bell\u0007.log'),
      // 40 levels of 30 characters: a legal local path, but an object key over 1024 bytes.
      write(`${Array.from({ length: 40 }, (_, i) => `level-${String(i).padStart(2, '0')}-${'x'.repeat(21)}`).join('/')}/too-deep.log`),
    ];
    // chmod 000: under root the daemon can still read it (CAP_DAC_OVERRIDE), so it is uploaded;
    // as any other user it must fail as unreadable and stay queued.
    const locked = write('locked.log');
    chmodSync(locked.path, 0o000);
    const asRoot = process.getuid?.() === 0;

    symlinkSync(join(outside, 'secret.log'), join(logs, 'link-out.log'));
    symlinkSync(outside, join(logs, 'link-dir'));
    symlinkSync(join(logs, 'loop-b.log'), join(logs, 'loop-a.log'));
    symlinkSync(join(logs, 'loop-a.log'), join(logs, 'loop-b.log'));
    symlinkSync('/nonexistent/target.log', join(logs, 'dangling.log'));
    await run('mkfifo', [join(logs, 'pipe.log')]);
    const sock: Server = createServer();
    await new Promise<void>((r) => sock.listen(join(logs, 'sock.log'), r));
    try {
      const last = write('last.log');
      const ignored = ['link-out.log', 'link-dir', 'loop-a.log', 'loop-b.log', 'dangling.log', 'pipe.log', 'sock.log'].map((n) => join(logs, n));

      await until(
        () =>
          [...good, last].every((f) => d!.uploaded(f.path).length > 0) &&
          badKey.every((f) => d!.failed(f.path).some((e) => e.code === ErrorCodes.KEY_INVALID)) &&
          (asRoot ? d!.uploaded(locked.path).length > 0 : d!.failed(locked.path).length > 0),
        'every entry to reach its outcome',
        90_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; events: ${d!.summary()}`);
      });
      await idle();

      for (const f of [...good, last]) await expectObject(f.path, f.rel, f.content);
      for (const f of badKey) {
        const e = d!.failed(f.path).find((x) => x.code === ErrorCodes.KEY_INVALID)!;
        expect(e.retriability, f.rel).to.equal('permanent');
        expect(e.message, 'names the file').to.include(JSON.stringify(f.rel));
        expect(d!.uploaded(f.path), f.rel).to.deep.equal([]);
      }
      if (asRoot) await expectObject(locked.path, locked.rel, locked.content);
      else expect(d!.failed(locked.path)[0]!.code).to.equal(ErrorCodes.FILE_UNREADABLE);
      for (const p of ignored) expect(d!.touched().has(p), `the daemon left ${p} alone`).to.equal(false);
      const keys = await listKeys(client, BUCKET);
      expect(keys.filter((k) => /secret|link-|loop-|dangling|pipe\.log|sock\.log/.test(k)), 'objects for links or special files').to.deep.equal([]);
    } finally {
      await new Promise<void>((r) => sock.close(() => r()));
    }
  }));

  it('reports a file whose name is not UTF-8 instead of ignoring it silently', clean(async () => {
    // Latin-1 "café.log": no S3 key can hold the name, and Node's string APIs cannot even name
    // the file (they decode the byte to U+FFFD, a path that does not exist). The log is on disk,
    // so the operator must hear about it: an event or a warning naming it. One file is found by
    // the startup scan, one by the watcher.
    const latin1 = (stem: string): Buffer => Buffer.concat([Buffer.from(join(logs, stem)), Buffer.from([0xe9]), Buffer.from('.log')]);
    writeFileSync(latin1('scanned-caf'), 'a log whose name is Latin-1\n');
    d = await RecordedDaemon.start(server, config());
    writeFileSync(latin1('watched-caf'), 'a log whose name is Latin-1\n');
    const last = write('last.log');
    // Written after the Latin-1 files, so their events were handled before last.log's upload.
    await until(() => d!.uploaded(last.path).length > 0, 'last.log uploaded', 60_000);
    await idle();
    for (const stem of ['scanned-caf', 'watched-caf']) {
      // The one error line the scan writes for such a name: its path with the byte escaped, and
      // why it cannot be uploaded; not merely any line or event that happens to contain the stem.
      const escaped = join(logs, `${stem}\\xe9.log`);
      const reports = d.logs.filter((l) => l.path === escaped && l.level === 'error' && /not valid UTF-8/.test(String(l.msg)));
      expect(reports.length, `one error naming ${escaped}; logs: ${JSON.stringify(d.logs)}`).to.equal(1);
    }
  }));

  it('keeps one object for a file first stored raw (too small to compress) that later grows compressible', clean(async () => {
    d = await RecordedDaemon.start(server, config());
    const f = write('grows.log', Buffer.from('x\n'));
    await until(() => d!.uploaded(f.path).length === 1, 'the first upload', 60_000);
    const more = Buffer.from(logText(rnd, 300));
    appendFileSync(f.path, more);
    const final = Buffer.concat([f.content, more]);
    await until(() => d!.uploaded(f.path).some((e) => e.sourceBytes === final.length), 'the upload of the grown file', 60_000);
    await idle();
    await expectObject(f.path, f.rel, final);
    const keys = (await listKeys(client, BUCKET)).filter((k) => /\/ros\/grows\.log(\.gz)?$/.test(k));
    // A reader of the bucket must not find a stale copy of the log next to the current one.
    expect(keys, `objects for grows.log (keys used: ${JSON.stringify(d.uploaded(f.path).map((e) => e.key))})`).to.have.length(1);
  }));

  it('copes with files that vanish, shrink, turn into directories or rotate while queued or uploading', clean(async () => {
    // Operational hours closed (a one-minute window six hours away): files wait in the queue
    // until upload-now, so they can be changed while queued. Bandwidth is capped so the two
    // multipart files are still uploading when they are rotated.
    const start = new Date(Date.now() + 6 * 3_600_000);
    const hhmm = (t: Date): string => `${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
    const window = {
      operational_hours: { enabled: true, start: hhmm(start), end: hhmm(new Date(start.getTime() + 60_000)) },
      upload_on_start: false,
      bandwidth: { max_mbps: 24 },
    };
    d = await RecordedDaemon.start(server, config(window));
    const vanishes = write('vanishes.log');
    const shrinks = write('shrinks.log', Buffer.from(logText(rnd, 3000)));
    const becomesDir = write('becomes-dir.log');
    // Compressible head, random tail: a ~7 MiB gzip spool file, two 5 MiB parts.
    const rotGz = write('rotate-gz.log', Buffer.concat([Buffer.from(logText(rnd, 8000)), rnd.fill(Buffer.alloc(7 * 1024 * 1024))]));
    // Incompressible: uploaded straight from the source file, two parts.
    const rotRaw = write('rotate-raw.bin', rnd.fill(Buffer.alloc(8 * 1024 * 1024)));
    const all = [vanishes, shrinks, becomesDir, rotGz, rotRaw];
    await until(() => all.every((f) => d!.daemon.store.files.getByPath(f.path)?.status === 'queued'), 'all five queued', 60_000);

    unlinkSync(vanishes.path);
    truncateSync(shrinks.path, 1000);
    const shrunk = shrinks.content.subarray(0, 1000);
    unlinkSync(becomesDir.path);
    const inner = write('becomes-dir.log/inner.log');
    void d.daemon.uploadNow();

    // Rotate like logrotate (rename, then a new file at the old name) once each is mid-upload.
    type Written = ReturnType<typeof write>;
    const rotated: Array<{ renamed: Written; fresh: Written }> = [];
    for (const f of [rotGz, rotRaw]) {
      const id = d.daemon.store.files.getByPath(f.path)!.id;
      await until(() => d!.daemon.store.multipart.get(id) !== null, `${f.rel} mid-upload`, 60_000);
      renameSync(f.path, `${f.path}.1`);
      rotated.push({ renamed: { path: `${f.path}.1`, rel: `${f.rel}.1`, content: f.content }, fresh: write(f.rel, Buffer.from(`new ${f.rel} after rotation\n${logText(rnd, 40)}`)) });
    }

    await until(() => rotated.every((r) => d!.uploaded(r.renamed.path).length > 0 && d!.uploaded(r.fresh.path).some((e) => e.sourceBytes === r.fresh.content.length)), 'the rotated files', 90_000).catch(
      (err: Error) => {
        throw new Error(`${err.message}; events: ${d!.summary()}`);
      },
    );
    const last = write('last.log');
    await until(() => d!.daemon.store.files.getByPath(last.path) !== null, 'last.log queued', 30_000);
    await d.daemon.uploadNow();
    await until(() => d!.uploaded(last.path).length > 0, 'last.log uploaded', 60_000);
    await idle();

    expect(d.vanished(vanishes.path), 'vanished file reported').to.equal(true);
    expect(d.uploaded(vanishes.path)).to.deep.equal([]);
    await expectObject(shrinks.path, shrinks.rel, shrunk);
    expect(readFileSync(shrinks.path)).to.deep.equal(shrunk);
    expect(d.uploaded(becomesDir.path), 'the file that became a directory').to.deep.equal([]);
    await expectObject(inner.path, inner.rel, inner.content);
    for (const r of rotated) {
      await expectObject(r.renamed.path, r.renamed.rel, r.renamed.content);
      // The old name's latest object holds the new file: never a mix of the two; and the content
      // it had before the rotation, if its upload finished, is still there (not replaced).
      await expectObject(r.fresh.path, r.fresh.rel, r.fresh.content);
      for (const e of d.uploaded(r.fresh.path).filter((u) => u.sourceBytes === r.renamed.content.length)) {
        expect(await objectContentSha(client, BUCKET, e.key), `earlier content under ${e.key}`).to.equal(sha256(r.renamed.content));
      }
    }
    await expectObject(last.path, last.rel, last.content);
  }));

  it('uploads a file with a 255-byte name, the longest Linux allows (against moto)', clean(async function (this: Mocha.Context) {
    const moto = await startMoto();
    if (moto === null) {
      missingTool(this, 'moto', motoUnavailableReason() ?? 'moto_server did not start');
    }
    const saved = { server, client };
    try {
      server = moto;
      client = moto.client();
      await moto.bucket(BUCKET);
      d = await RecordedDaemon.start(moto, config());
      const long = write(`${'n'.repeat(251)}.log`);
      expect(Buffer.byteLength(long.rel)).to.equal(255);
      const last = write('last.log');
      await until(() => d!.uploaded(long.path).length > 0 && d!.uploaded(last.path).length > 0, 'both uploads', 60_000).catch((err: Error) => {
        throw new Error(`${err.message}; events: ${d!.summary()}`);
      });
      await expectObject(long.path, long.rel, long.content);
      await expectObject(last.path, last.rel, last.content);
      await d.daemon.close(5000);
      d = null;
    } finally {
      await moto.stop();
      ({ server, client } = saved);
    }
  }));
});
