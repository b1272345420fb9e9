/**
 * Real S3-compatible servers on loopback for integration tests: s3rver (in-process, Node) and
 * moto_server (a python3 child process). Each handle gives the endpoint, a way to create
 * buckets, and a client built by our own `createS3Client` so tests exercise production wiring.
 *
 * Known server behaviour (checked against s3rver 3.7.1 and moto 5.2.1 source):
 * - s3rver accepts any secret for a known access key (SigV4 is not verified) but rejects an
 *   unknown key with InvalidAccessKeyId; its only key pair is S3RVER/S3RVER. It implements
 *   neither ListParts nor AbortMultipartUpload, nor Content-MD5 verification.
 * - moto accepts any credentials unless auth is switched on (POST /moto-api/reset-auth), after
 *   which keys unknown to its IAM are rejected with InvalidAccessKeyId. moto does not verify
 *   Content-MD5 or x-amz-checksum-sha256 either.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../src/config/types.js';
import { createS3Client } from '../../src/sinks/s3/client.js';
import { freePort, waitFor } from './ports.js';
import { requiredToolMessage, toolRequired } from './tools.js';

export const TEST_REGION = 'us-east-1';

/** The part of s3rver's API we use (the package ships no type declarations). */
interface S3rverInstance {
  run(): Promise<{ port: number; address: string }>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverCtor;

export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3TestServer {
  readonly name: 's3rver' | 'moto';
  readonly endpoint: string;
  readonly credentials: TestCredentials;
  /** Creates the bucket (idempotent enough for tests: a second call fails on moto only). */
  bucket(name: string): Promise<void>;
  /** The resolved S3 config a daemon would use for this server. */
  s3Config(bucket: string): S3Config;
  /** A client configured exactly like production's, optionally with other credentials. */
  client(credentials?: TestCredentials): S3Client;
  stop(): Promise<void>;
}

function s3ConfigFor(endpoint: string, bucket: string): S3Config {
  return {
    bucket,
    region: TEST_REGION,
    profile: null,
    endpoint,
    forcePathStyle: true,
    conditionalWrites: false,
    storageClass: null,
    serverSideEncryption: null,
    kmsKeyId: null,
  };
}

function makeHandle(
  name: 's3rver' | 'moto',
  endpoint: string,
  credentials: TestCredentials,
  stopImpl: () => Promise<void>,
): S3TestServer {
  const clients: S3Client[] = [];
  const client = (creds: TestCredentials = credentials): S3Client => {
    const c = createS3Client(s3ConfigFor(endpoint, 'unused'), {}, { credentials: creds, maxSockets: 8 }).client;
    clients.push(c);
    return c;
  };
  let stopped = false;
  return {
    name,
    endpoint,
    credentials,
    s3Config: (bucket) => s3ConfigFor(endpoint, bucket),
    client,
    async bucket(bucketName) {
      const c = client();
      await c.send(new CreateBucketCommand({ Bucket: bucketName }));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const c of clients) c.destroy();
      await stopImpl();
    },
  };
}

/** Starts s3rver on 127.0.0.1 with an OS-assigned port and a temp directory (removed on stop). */
export async function startS3rver(opts: { dir?: string } = {}): Promise<S3TestServer> {
  const ownDir = opts.dir === undefined;
  const directory = opts.dir ?? mkdtempSync(join(tmpdir(), 'tvm-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true, configureBuckets: [] });
  const addr = await server.run();
  const endpoint = `http://127.0.0.1:${addr.port}`;
  return makeHandle('s3rver', endpoint, { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, async () => {
    await server.close();
    if (ownDir) rmSync(directory, { recursive: true, force: true });
  });
}

let motoProbe: string | null | undefined;

/** Why moto cannot be used here, or null when `python3 -m moto.server` is importable. */
export function motoUnavailableReason(): string | null {
  if (motoProbe !== undefined) return motoProbe;
  const r = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) motoProbe = `python3 not runnable: ${r.error.message}`;
  else if (r.status !== 0) motoProbe = `python3 cannot import moto.server: ${(r.stderr || '').trim().split('\n').pop() ?? ''}`;
  else motoProbe = null;
  return motoProbe;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function httpStatus(url: string, method = 'GET', body?: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/**
 * Spawns `python3 -m moto.server -H 127.0.0.1 -p <free port>` and waits until it answers.
 * Returns null when moto is not importable, unless it is required (TVM_REQUIRE_TOOLS=1 or
 * TVM_REQUIRE_MOTO=1; then it throws). Callers skip through missingTool (test/support/tools.ts).
 */
export async function startMoto(): Promise<(S3TestServer & { setAuth(enabled: boolean): Promise<void> }) | null> {
  const reason = motoUnavailableReason();
  if (reason !== null) {
    if (toolRequired('moto')) throw new Error(requiredToolMessage('moto', reason));
    return null;
  }
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    children.add(child);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
      children.delete(child);
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const up = await waitFor(async () => exited || (await httpStatus(`${endpoint}/moto-api/`)) > 0, 30_000, 150);
    if (!up || exited) {
      child.kill('SIGKILL');
      lastError = `moto_server did not start on port ${port}: ${stderr.trim().split('\n').pop() ?? ''}`;
      continue;
    }
    const handle = makeHandle('moto', endpoint, { accessKeyId: 'testing', secretAccessKey: 'testing' }, async () => {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    });
    return Object.assign(handle, {
      /** Switches moto's IAM authentication on (unknown keys rejected) or off (anything goes). */
      async setAuth(enabled: boolean): Promise<void> {
        const status = await httpStatus(`${endpoint}/moto-api/reset-auth`, 'POST', enabled ? '0' : 'inf');
        if (status !== 200) throw new Error(`moto reset-auth answered ${status}`);
      },
    });
  }
  throw new Error(lastError);
}

/**
 * For a mocha `before` hook: starts the named server with `bucket` created, or skips the suite
 * (with the reason printed) when moto is not available. Stop the server in `after`.
 */
export async function startServerForSuite(ctx: Mocha.Context, name: 's3rver' | 'moto', bucket: string): Promise<S3TestServer> {
  const server = name === 's3rver' ? await startS3rver() : await startMoto();
  if (server === null) {
    console.log(`      (skipped: ${motoUnavailableReason()})`);
    ctx.skip();
  }
  await server.bucket(bucket);
  return server;
}
