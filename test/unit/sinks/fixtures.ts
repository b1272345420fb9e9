/**
 * Shared fixtures for the sink tests: temp files with known bytes, a CompressResult computed the
 * way the compression worker does (whole MD5/SHA-256 and one MD5 per part), and an in-memory
 * MultipartStore that records every call.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompletedPart, MultipartProgress, ResumeProof } from '../../../src/state/types.js';
import type { CompressResult } from '../../../src/workers/protocol.js';
import { S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type { S3Config } from '../../../src/config/types.js';
import { createS3Client } from '../../../src/sinks/s3/client.js';
import type { MultipartStore } from '../../../src/sinks/s3/multipart.js';
import { removeDir, tempDir as scratchDir } from '../../support/temp-dir.js';

/** A scratch directory and its removal, as the sink tests hold it. */
export function tempDir(prefix = 'tvm-sinks-'): { dir: string; cleanup(): void } {
  const dir = scratchDir(prefix);
  return { dir, cleanup: () => removeDir(dir) };
}

/** Deterministic pseudo-random bytes (seeded) so failures reproduce. */
/**
 * `size` incompressible bytes, the same for the same seed: AES-128-CTR over zeros, keyed by the
 * seed (a chain of SHA-256 blocks did the same at 1/50 of the speed: 0.3 s for 6 MiB).
 */
export function seededBytes(size: number, seed = 1): Buffer {
  const key = createHash('sha256').update(`seed-${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

export function writeFile(dir: string, name: string, bytes: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

export function md5b64(b: Buffer): string {
  return createHash('md5').update(b).digest('base64');
}

export function sha256hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** A CompressResult for the file at `path`, hashed like the worker does. */
export function resultFor(path: string, partSize: number, over: Partial<CompressResult> = {}): CompressResult {
  const bytes = readFileSync(path);
  const partMd5s: string[] = [];
  for (let off = 0; off < bytes.length; off += partSize) partMd5s.push(md5b64(bytes.subarray(off, off + partSize)));
  if (bytes.length === 0) partMd5s.push(md5b64(bytes));
  return {
    kind: 'compressed',
    codec: 'gzip',
    storedReason: null,
    uploadPath: path,
    sourceSize: bytes.length * 3,
    sourceMtimeMs: Date.UTC(2024, 5, 1, 12, 0, 0),
    sourceSha256: sha256hex(Buffer.concat([Buffer.from('source:'), bytes])),
    outputSize: bytes.length,
    outputSha256: createHash('sha256').update(bytes).digest('base64'),
    outputMd5: md5b64(bytes),
    partMd5s,
    elapsedMs: 1,
    ...over,
  };
}

export function randomName(): string {
  return randomBytes(6).toString('hex');
}

/** In-memory MultipartStore, with a call log for assertions. */
export class FakeMultipartStore implements MultipartStore {
  readonly rows = new Map<number, MultipartProgress>();
  readonly calls: string[] = [];

  begin(p: Omit<MultipartProgress, 'parts'>): void {
    this.calls.push(`begin:${p.fileId}:${p.uploadId}`);
    this.rows.set(p.fileId, { ...p, parts: [] });
  }

  recordPart(fileId: number, part: CompletedPart): void {
    this.calls.push(`part:${fileId}:${part.partNumber}`);
    const row = this.rows.get(fileId);
    if (!row) throw new Error(`recordPart for unknown file ${fileId}`);
    const parts = row.parts.filter((p) => p.partNumber !== part.partNumber).concat(part).sort((a, b) => a.partNumber - b.partNumber);
    this.rows.set(fileId, { ...row, parts });
  }

  get(fileId: number): MultipartProgress | null {
    return this.rows.get(fileId) ?? null;
  }

  delete(fileId: number): void {
    this.calls.push(`delete:${fileId}`);
    this.rows.delete(fileId);
  }
}

/** An error shaped like the SDK's S3 service exceptions (name, Code, $metadata, $fault). */
export function s3Error(name: string, status: number | undefined, message = `${name} happened`): Error {
  const e = new S3ServiceException({
    name,
    $fault: status !== undefined && status >= 500 ? 'server' : 'client',
    $metadata: status === undefined ? {} : { httpStatusCode: status, requestId: 'REQ123' },
    message,
  });
  return Object.assign(e, { Code: name });
}

/** A Node system error (ECONNRESET, ENOENT …). */
export function sysError(code: string, message = `${code}: failed`, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

/** A real S3Client built by our factory (fake credentials, no network), for aws-sdk-client-mock. */
export function offlineClient(): S3Client {
  const s3: S3Config = {
    bucket: 'logs', region: 'us-east-1', profile: null, endpoint: null, forcePathStyle: false, conditionalWrites: true,
    storageClass: null, serverSideEncryption: null, kmsKeyId: null,
  };
  return createS3Client(s3, {}, { credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' } }).client;
}

export interface S3Mock {
  /** A client as production builds it (offline credentials), its sends answered by `mock`. */
  readonly client: S3Client;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly mock: AwsStub<any, any, any>;
}

/**
 * Mocks one offline S3 client for the calling describe block: built in before(), reset before each
 * test, restored and destroyed after. `use` receives it once it exists.
 */
export function useS3Mock(use: (m: S3Mock) => void): void {
  let m: S3Mock | null = null;
  before(() => {
    const client = offlineClient();
    m = { client, mock: mockClient(client) };
    use(m);
  });
  after(() => {
    m?.mock.restore();
    m?.client.destroy();
  });
  beforeEach(() => m?.mock.reset());
}

/** The codec level and library version the unit tests' jobs claim (ObjectSpec.encoding). */
export const TEST_ENCODING = { level: 6, version: 'zlib test' } as const;

/** The multipart resume proof of `result` compressed with `encoding`. */
export function proofFor(result: CompressResult, encoding: { level: number; version: string } = TEST_ENCODING): ResumeProof {
  return { codec: result.codec, codecLevel: encoding.level, codecVersion: encoding.version, outputSha256: result.outputSha256 };
}
