/**
 * What a chaos suite checks after the storm: an event-driven wait until every expected file has
 * been reported uploaded, and a read-back of the bucket that compares each object, decompressed,
 * with its source by SHA-256. It also tallies the failed attempts (retries) by error code. It
 * neither writes the test data (chaos-fixtures.ts) nor starts anything.
 */
import { gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Telemetry, TelemetryEvent } from '../../src/telemetry/events.js';
import { sha256, type FixtureFile } from './chaos-fixtures.js';

type Uploaded = Extract<TelemetryEvent, { type: 'file.uploaded' }>;
type Failed = Extract<TelemetryEvent, { type: 'file.failed' }>;

/** Follows telemetry: uploads per path, failed attempts per code. Attach before the daemon starts. */
export class UploadTracker {
  readonly uploads = new Map<string, Uploaded[]>();
  readonly failures: Failed[] = [];
  private readonly expected = new Set<string>();
  private waiter: (() => void) | null = null;

  constructor(telemetry: Pick<Telemetry, 'on'>) {
    telemetry.on((e) => this.record(e));
  }

  expect(files: readonly FixtureFile[]): void {
    for (const f of files) this.expected.add(f.path);
    this.check();
  }

  /** Expected paths not reported uploaded yet. */
  missing(): string[] {
    return [...this.expected].filter((p) => !this.uploads.has(p));
  }

  retriesByCode(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of this.failures) out[f.code] = (out[f.code] ?? 0) + 1;
    return out;
  }

  /** One message per error code (the first seen), to tell what a code stood for in a run. */
  exampleByCode(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of this.failures) out[f.code] ??= f.message;
    return out;
  }

  /**
   * Resolves when every expected path has an upload event; rejects after `timeoutMs` with the
   * missing paths and `diagnose()`'s answer, so a hung run says where it hung.
   */
  waitForAll(timeoutMs: number, diagnose: () => unknown): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        const missing = this.missing();
        const lastErrors = [...new Set(this.failures.slice(-20).map((f) => `${f.code} ${f.key ?? f.path}: ${f.message}`))].slice(-3);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms: ${missing.length} of ${this.expected.size} files not uploaded ` +
              `(first: ${missing.slice(0, 3).join(', ')}); state ${JSON.stringify(diagnose())}; ` +
              `retries ${JSON.stringify(this.retriesByCode())}; last distinct errors ${JSON.stringify(lastErrors)}`,
          ),
        );
      }, timeoutMs);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
      this.check();
    });
  }

  private record(e: TelemetryEvent): void {
    if (e.type === 'file.uploaded') {
      const list = this.uploads.get(e.path) ?? [];
      list.push(e);
      this.uploads.set(e.path, list);
      this.check();
    } else if (e.type === 'file.failed') {
      this.failures.push(e);
    }
  }

  private check(): void {
    if (this.waiter === null || this.expected.size === 0) return;
    for (const p of this.expected) if (!this.uploads.has(p)) return;
    const w = this.waiter;
    this.waiter = null;
    w();
  }
}

/**
 * Every key in the bucket. ListObjects v1 with a marker, not v2: s3rver 3.7.1 builds v2
 * continuation tokens with a cipher OpenSSL 3 refuses, so its second v2 page is a 500.
 */
export async function listAllKeys(client: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let marker: string | undefined;
  for (;;) {
    const r = await client.send(new ListObjectsCommand({ Bucket: bucket, Marker: marker }));
    const page = (r.Contents ?? []).map((o) => o.Key!);
    keys.push(...page);
    if (!r.IsTruncated || page.length === 0) break;
    marker = r.NextMarker ?? page[page.length - 1];
  }
  return keys.sort();
}

export async function getObjectBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const chunks: Buffer[] = [];
  for await (const c of res.Body as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function objectSize(client: S3Client, bucket: string, key: string): Promise<number> {
  return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength ?? -1;
}

export interface ReadBackProblem {
  readonly path: string;
  readonly key: string;
  readonly problem: string;
}

/**
 * Downloads the object each file's (single) upload event names, decompresses `.gz` keys and
 * compares SHA-256 with the source. `parallel` GETs at a time, straight to the server.
 */
export async function readBack(
  client: S3Client,
  bucket: string,
  files: readonly FixtureFile[],
  keyOf: (path: string) => string | undefined,
  parallel = 8,
): Promise<ReadBackProblem[]> {
  const problems: ReadBackProblem[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++]!;
      const key = keyOf(f.path);
      if (key === undefined) {
        problems.push({ path: f.path, key: '', problem: 'no upload event' });
        continue;
      }
      try {
        const body = await getObjectBytes(client, bucket, key);
        const plain = key.endsWith('.gz') ? gunzipSync(body) : body;
        if (sha256(plain) !== f.sha256) problems.push({ path: f.path, key, problem: `sha256 differs (${plain.length} bytes, source ${f.bytes})` });
      } catch (err) {
        problems.push({ path: f.path, key, problem: err instanceof Error ? err.message : String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return problems;
}
