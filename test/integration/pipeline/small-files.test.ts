/**
 * Small files skip the spool, through the whole daemon against real S3-compatible servers on
 * loopback (s3rver and moto): their outputs come back from the worker thread in memory and are
 * PUT from there. Every object is downloaded and compared with its file after decompression, its
 * metadata checked, and the spool folder watched: only the one large file ever writes there.
 */
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseConfig } from '../../../src/config/load.js';
import { Daemon } from '../../../src/daemon.js';
import { IN_MEMORY_MAX_BYTES } from '../../../src/pipeline/upload-job.js';
import { parseObjectMetadata } from '../../../src/sinks/s3/metadata.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { motoUnavailableReason, startMoto, startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { missingTool } from '../../support/tools.js';
import { daemonConfigYaml } from '../../support/daemon-config.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';
import { until } from '../../support/crash-objects.js';

const BUCKET = 'tvm-small-files';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function logText(bytes: number, seed: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `2026-12-07 16:00:${String(i % 60).padStart(2, '0')}.${seed} [INFO] [planner] step ${i} v=${(i * 7919 + seed) % 1000}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

for (const kind of ['s3rver', 'moto'] as const) {
  describe(`small files skip the spool, against ${kind}`, function () {
    this.timeout(180_000);
    let server: S3TestServer | null = null;
    let client: S3Client;
    let root: string;
    let daemon: Daemon | null = null;
    let spoolWatch: FSWatcher | null = null;

    before(async function () {
      server = kind === 's3rver' ? await startS3rver() : await startMoto();
      if (server === null) missingTool(this, 'moto', motoUnavailableReason() ?? 'moto_server did not start');
      await server.bucket(BUCKET);
      client = server.client();
    });
    after(async () => {
      await server?.stop();
    });
    beforeEach(() => {
      root = tempDir('tvm-small-');
    });
    afterEach(async () => {
      spoolWatch?.close();
      await daemon?.close(5000);
      daemon = null;
      removeDir(root);
    });

    async function getObject(key: string): Promise<{ body: Buffer; metadata: Record<string, string> | undefined }> {
      const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const chunks: Buffer[] = [];
      for await (const c of res.Body as Readable) chunks.push(c as Buffer);
      return { body: Buffer.concat(chunks), metadata: res.Metadata };
    }

    it('uploads small files byte-identical after decompression with their metadata, writing no spool file for them', async () => {
      const logs = join(root, 'logs');
      mkdirSync(logs, { recursive: true });
      const yaml = daemonConfigYaml({ root, endpoint: server!.endpoint, bucket: BUCKET, vehicleId: `small-${kind}`, overrides: { upload: { concurrency: 4 } } });
      const events: TelemetryEvent[] = [];
      const telemetry = new Telemetry(silentLogger());
      telemetry.on((e) => events.push(e));
      daemon = await Daemon.start({ config: parseConfig(yaml, { env: {} }), logger: silentLogger(), s3Credentials: server!.credentials, telemetry });

      // Every name created in the spool folder (the daemon made it at start); inotify reports creations.
      const created = new Set<string>();
      spoolWatch = watch(join(root, 'state', 'spool'), (_event, name) => {
        if (name !== null) created.add(name);
      });

      const files = new Map<string, { bytes: Buffer; gz: boolean }>([
        ['empty.log', { bytes: Buffer.alloc(0), gz: true }],
        ['tiny.log', { bytes: logText(120, 1), gz: true }],
        ['text-4k.log', { bytes: logText(4096, 2), gz: true }],
        ['text-200k.log', { bytes: logText(200_000, 3), gz: true }],
        ['noise-8k.bin', { bytes: randomBytes(8192), gz: false }],
        ['rotated.log.gz', { bytes: gzipSync(logText(30_000, 4)), gz: false }],
        // Over the bound and over the worker's 1 MiB sample: streamed through the spool as before.
        ['large.log', { bytes: logText(IN_MEMORY_MAX_BYTES * 6, 5), gz: true }],
      ]);
      for (const [name, f] of files) writeFileSync(join(logs, name), f.bytes);

      const uploaded = (): Array<Extract<TelemetryEvent, { type: 'file.uploaded' }>> =>
        events.filter((e): e is Extract<TelemetryEvent, { type: 'file.uploaded' }> => e.type === 'file.uploaded');
      await until(() => uploaded().length >= files.size, `${files.size} uploads`, 90_000);
      await daemon.whenIdle();

      for (const [name, f] of files) {
        const up = uploaded().find((e) => e.path === join(logs, name));
        expect(up, name).to.not.equal(undefined);
        expect(up!.key.endsWith(f.gz ? `${name}.gz` : name), `${name} -> ${up!.key}`).to.equal(true);
        const { body, metadata } = await getObject(up!.key);
        expect(sha(f.gz ? gunzipSync(body) : body), name).to.equal(sha(f.bytes));
        const meta = parseObjectMetadata(metadata);
        expect(meta.sourceSha256, name).to.equal(sha(f.bytes));
        expect(meta.sourceSize, name).to.equal(f.bytes.length);
      }

      // The large file went through the spool (so the watch saw writes there), and nothing else did.
      const stems = new Set([...created].map((n) => n.split('.')[0]));
      expect(stems.size, [...created].join(', ')).to.equal(1);
    });
  });
}
