/**
 * Starts perf/s3-server.ts (s3rver) as a separate process and talks to it: bucket listings to
 * confirm what arrived; its client serves the content spot checks. The server's CPU and memory are read
 * from /proc by pid, apart from the daemon's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/sinks/s3/client.js';
import { childEnv } from '../../test/support/child-env.js';
import { RssSampler } from './proc-stats.js';

const SERVER = fileURLToPath(new URL('../s3-server.ts', import.meta.url));
export const SERVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface Listing {
  readonly count: number;
  readonly bytes: number;
  readonly keys: Map<string, number>;
}

export class ServerProcess {
  readonly client: S3Client;
  readonly sampler: RssSampler;

  private constructor(
    readonly child: ChildProcess,
    readonly pid: number,
    readonly endpoint: string,
    private readonly dataDir: string,
  ) {
    this.client = createS3Client(
      { bucket: 'unused', region: 'us-east-1', profile: null, endpoint, forcePathStyle: true, conditionalWrites: false, storageClass: null, serverSideEncryption: null, kmsKeyId: null },
      {},
      { credentials: SERVER_CREDENTIALS, maxSockets: 4 },
    ).client;
    this.sampler = new RssSampler(pid, { intervalMs: 500 }).start();
  }

  static async start(dataDir: string, buckets: readonly string[]): Promise<ServerProcess> {
    const args = ['--import', 'tsx', SERVER, '--dir', dataDir, ...buckets.flatMap((b) => ['--bucket', b])];
    const child = spawn(process.execPath, args, { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`s3-server did not start: ${stderr}`)), 60_000);
      child.once('exit', (code) => reject(new Error(`s3-server exited with ${code}: ${stderr}`)));
      createInterface({ input: child.stdout }).once('line', (line) => {
        clearTimeout(timer);
        try {
          resolve((JSON.parse(line) as { port: number }).port);
        } catch {
          reject(new Error(`s3-server printed ${line}`));
        }
      });
    });
    return new ServerProcess(child, child.pid!, `http://127.0.0.1:${port}`, dataDir);
  }

  /**
   * Every object of the bucket. ListObjects (v1, paged by Marker) rather than ListObjectsV2:
   * s3rver 3.7 builds V2 continuation tokens with DES, which OpenSSL 3 (Node 17+) no longer
   * offers, so any V2 listing longer than one page fails with InternalError.
   */
  async list(bucket: string): Promise<Listing> {
    const keys = new Map<string, number>();
    let bytes = 0;
    let marker: string | undefined;
    for (;;) {
      const page = await this.client.send(new ListObjectsCommand({ Bucket: bucket, Marker: marker, MaxKeys: 1000 }));
      const contents = page.Contents ?? [];
      for (const o of contents) {
        keys.set(o.Key ?? '', o.Size ?? 0);
        bytes += o.Size ?? 0;
      }
      if (!page.IsTruncated || contents.length === 0) break;
      marker = contents[contents.length - 1]!.Key;
    }
    return { count: keys.size, bytes, keys };
  }

  /**
   * Deletes a bucket's objects from the server's disk once a run has been checked, so a suite's
   * peak disk use is its data plus one run's objects, not every run's (the 2 GiB suite would
   * otherwise keep three copies). s3rver keeps each bucket in its own folder; the bucket is not
   * used again.
   */
  dropBucket(bucket: string): void {
    rmSync(join(this.dataDir, bucket), { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    this.sampler.stop();
    this.client.destroy();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}
