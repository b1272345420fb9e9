/**
 * The files one e2e run uploads and the objects they must become. Small log files in three
 * sources (one nested two folders deep), a file that is already gzip (stored as it is, key
 * unchanged), and one file whose compressed form spans three 5 MiB parts. Expected keys are
 * computed here independently of the daemon's key builder: `<vehicle>/<YYYY-MM-DD>/<source>/<relPath>`
 * with the local date of the file's mtime, plus `.gz` when the daemon compresses.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { daemonConfigYaml, referenceDirectories } from '../support/daemon-config.js';

export const PART_SIZE_MB = 5;
export const PART_SIZE = PART_SIZE_MB * 1024 * 1024;

export interface FixtureFile {
  /** Absolute path on disk. */
  readonly path: string;
  readonly source: string;
  readonly relPath: string;
  readonly body: Buffer;
  readonly sha256: string;
  readonly mtimeMs: number;
  /** True when the daemon must gzip it (key gets `.gz`). */
  readonly gzip: boolean;
  /** True for the file whose compressed object must be a multipart upload. */
  readonly multipart: boolean;
  readonly key: string;
}

export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function logText(lines: number, tag: string): string {
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    out.push(`2026-11-30 12:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')} [INFO] [${tag}] step ${i} v=${(i * 7919) % 1000}`);
  }
  return out.join('\n') + '\n';
}

/** YYYY-MM-DD of `ms` in the process time zone, written out by hand on purpose. */
export function localDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * ~12 MB once gzipped: 2 MiB of log text first (the daemon samples the first MiB to decide
 * whether compressing pays), then 12 MiB of random bytes gzip cannot shrink, then more text.
 */
function multipartBody(): Buffer {
  return Buffer.concat([Buffer.from(logText(30_000, 'planner')), randomBytes(12 * 1024 * 1024), Buffer.from(logText(5_000, 'tail'))]);
}

/**
 * Writes every fixture under `root/logs/<source>/…` with an mtime ten minutes in the past (so the
 * start-up scan finds them stable at once) and returns them with their expected keys.
 */
export function writeFixtures(root: string, vehicleId: string, nowMs: number): FixtureFile[] {
  const mtimeMs = nowMs - 10 * 60_000;
  const day = localDay(mtimeMs);
  const specs: Array<{ source: string; relPath: string; body: Buffer; gzip: boolean; multipart?: boolean }> = [
    { source: 'ros', relPath: 'run-1/nested/launch.log', body: Buffer.from(logText(4_000, 'launch')), gzip: true },
    { source: 'terminal', relPath: 'session.log', body: Buffer.from(logText(300, 'shell')), gzip: true },
    { source: 'syslog', relPath: 'syslog', body: Buffer.from(logText(40, 'kernel')), gzip: true },
    // Already gzip: recognised by its magic bytes and stored unchanged under its own name.
    { source: 'ros', relPath: 'bags/already.gz', body: gzipSync(randomBytes(64 * 1024)), gzip: false },
    { source: 'ros', relPath: 'big.log', body: multipartBody(), gzip: true, multipart: true },
  ];
  return specs.map((s) => {
    const path = join(root, 'logs', s.source, ...s.relPath.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, s.body);
    utimesSync(path, mtimeMs / 1000, mtimeMs / 1000);
    return {
      path,
      source: s.source,
      relPath: s.relPath,
      body: s.body,
      sha256: sha256Hex(s.body),
      mtimeMs,
      gzip: s.gzip,
      multipart: s.multipart === true,
      key: `${vehicleId}/${day}/${s.source}/${s.relPath}${s.gzip ? '.gz' : ''}`,
    };
  });
}

/** The daemon configuration, in the Python reference's YAML format, for one run. */
export function configYaml(o: {
  vehicleId: string;
  root: string;
  bucket: string;
  region: string;
  profile: string | null;
  sse: string | null;
  kmsKeyId: string | null;
  storageClass: string | null;
}): string {
  return daemonConfigYaml({
    root: o.root,
    bucket: o.bucket,
    vehicleId: o.vehicleId,
    directories: referenceDirectories(o.root),
    overrides: {
      s3: {
        region: o.region,
        profile: o.profile ?? undefined,
        storage_class: o.storageClass ?? undefined,
        server_side_encryption: o.sse ?? undefined,
        kms_key_id: o.kmsKeyId ?? undefined,
      },
      upload: { upload_on_start: true, part_size_mb: PART_SIZE_MB, part_concurrency: 2 },
      monitoring: { cloudwatch_enabled: true, publish_interval_seconds: 10 },
    },
  });
}
