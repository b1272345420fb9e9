/**
 * Nothing in the bucket is ever replaced: the real daemon against real S3-compatible servers on
 * loopback. A path rewritten the same day, two files mapping to one key, an identical rewrite,
 * and (on moto, which honours If-None-Match) an object the state database does not know about.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { localDate } from '../../../src/sinks/s3/object-key.js';
import { RecordedDaemon } from '../../support/bad-input-daemon.js';
import { getObject, listKeys, objectContentSha, sha256, until } from '../../support/crash-objects.js';
import { startServerForSuite, type S3TestServer } from '../../support/s3-servers.js';
import { daemonConfigYaml, type ConfigTree } from '../../support/daemon-config.js';

const BUCKET = 'tvm-versions';

function text(tag: string, lines = 400): Buffer {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(`2026-12-07 10:00:${String(i % 60).padStart(2, '0')} [INFO] ${tag} line ${i}`);
  return Buffer.from(out.join('\n') + '\n');
}

function suite(name: 's3rver' | 'moto') {
  describe(`object key versions against ${name}`, function () {
    this.timeout(120_000);
    let server: S3TestServer | null = null;
    let client: S3Client;
    let root: string;
    let d: RecordedDaemon | null = null;
    // One vehicle per test: the bucket is shared by the suite.
    let vehicle = '';
    let n = 0;

    before(async function () {
      server = await startServerForSuite(this, name, BUCKET);
      client = server.client();
    });
    after(async () => {
      await server?.stop();
    });
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'tvm-versions-'));
      vehicle = `vehicle-${name}-${++n}`;
      mkdirSync(join(root, 'logs'), { recursive: true });
    });
    afterEach(async () => {
      await d?.daemon.close(5000);
      d = null;
      rmSync(root, { recursive: true, force: true });
    });

    async function start(s3: ConfigTree = {}): Promise<RecordedDaemon> {
      const yaml = daemonConfigYaml({
        root,
        endpoint: server!.endpoint,
        bucket: BUCKET,
        vehicleId: vehicle,
        overrides: {
          s3,
          upload: { file_stable_seconds: 0.5, part_size_mb: undefined, scan_existing_files: undefined, processed_files_registry: { retention_days: 30 } },
          // This file's daemon runs with the deletion and endpoint defaults.
          deletion: undefined,
          monitoring: { http: undefined },
        },
      });
      d = await RecordedDaemon.start(server!, yaml);
      return d;
    }

    // Every mtime is `ageS` seconds before yesterday's local noon: one date folder for every file
    // of a test, however close to midnight it runs (mtimes taken from the clock put the two writes
    // of a test into two date folders when a run crossed 00:00).
    const noonYesterday = (() => {
      const d = new Date(Date.now() - 86_400_000);
      d.setHours(12, 0, 0, 0);
      return d.getTime();
    })();
    const prefix = (): string => `${vehicle}/${localDate(noonYesterday)}/ros`;
    const ours = async (): Promise<string[]> => (await listKeys(client, BUCKET)).filter((k) => k.startsWith(`${prefix()}/`));
    /** Writes `body` to `name` with an mtime `ageS` seconds before that noon. */
    function write(name: string, body: Buffer, ageS: number): string {
      const p = join(root, 'logs', name);
      writeFileSync(p, body);
      const t = noonYesterday / 1000 - ageS;
      utimesSync(p, t, t);
      return p;
    }

    it('keeps both contents of a path rewritten the same day after its upload', async () => {
      const first = text('first');
      const second = text('second rotation', 500);
      const p = write('syslog.1', first, 30);
      const daemon = await start();
      await until(() => daemon.uploaded(p).length >= 1, 'the first upload');
      write('syslog.1', second, 20);
      await until(() => daemon.uploaded(p).length >= 2, `the rewrite's upload; events: ${daemon.summary()}`);
      expect(await ours()).to.deep.equal([`${prefix()}/syslog.1.gz`, `${prefix()}/syslog.1~0002.gz`]);
      expect(await objectContentSha(client, BUCKET, `${prefix()}/syslog.1.gz`)).to.equal(sha256(first));
      expect(await objectContentSha(client, BUCKET, `${prefix()}/syslog.1~0002.gz`)).to.equal(sha256(second));
    });

    it('stores app.log (compressed to app.log.gz) and a real app.log.gz next to it as two objects that both round-trip', async () => {
      const log = text('plain');
      const gz = gzipSync(text('already compressed'));
      const logPath = write('app.log', log, 30);
      const gzPath = write('app.log.gz', gz, 30);
      const daemon = await start();
      await until(() => daemon.uploaded().length >= 2, `two uploads; events: ${daemon.summary()}`);
      const keys = await ours();
      expect(keys).to.have.members([`${prefix()}/app.log.gz`, `${prefix()}/app.log~0002.gz`]);
      const byPath = new Map<string, Buffer>();
      for (const key of keys) {
        const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
        byPath.set(decodeURIComponent(head.Metadata!['original-path']!), await getObject(client, BUCKET, key));
      }
      expect(sha256(byPath.get(gzPath)!), 'the real .gz, stored as it is').to.equal(sha256(gz));
      expect(sha256(gunzipSync(byPath.get(logPath)!)), 'app.log, after gunzip').to.equal(sha256(log));
    });

    it('writes identical content rewritten later only once', async () => {
      const body = text('same');
      const p = write('same.log', body, 30);
      const daemon = await start();
      await until(() => daemon.uploaded(p).length >= 1, 'the first upload');
      write('same.log', body, 10); // same bytes, new mtime: the file is looked at again
      await until(() => daemon.uploaded(p).length >= 2, `the second look; events: ${daemon.summary()}`);
      expect(daemon.uploaded(p)[1]).to.deep.include({ sentBytes: 0, remoteSkip: true, key: `${prefix()}/same.log.gz` });
      expect(await ours()).to.deep.equal([`${prefix()}/same.log.gz`]);
    });

    if (name === 'moto') {
      it('never replaces an object the state database does not know: the server refuses (If-None-Match), the next version is written', async () => {
        const body = text('ours');
        const p = write('foreign.log', body, 30);
        const foreign = Buffer.from('written by someone else');
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix()}/foreign.log.gz`, Body: foreign }));
        const daemon = await start({ conditional_writes: true });
        await until(() => daemon.uploaded(p).length >= 1, `the upload; events: ${daemon.summary()}`);
        expect(daemon.uploaded(p)[0]!.key).to.equal(`${prefix()}/foreign.log~0002.gz`);
        expect(sha256(await getObject(client, BUCKET, `${prefix()}/foreign.log.gz`))).to.equal(sha256(foreign));
        expect(await objectContentSha(client, BUCKET, `${prefix()}/foreign.log~0002.gz`)).to.equal(sha256(body));
      });
    }
  });
}

suite('s3rver');
suite('moto');
