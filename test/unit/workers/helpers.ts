/**
 * Shared helpers for the worker tests: temp directories, requests built from a real file's stat,
 * deterministic log-like data, and checksums computed independently of src/workers/hashing.ts.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompressRequest } from '../../../src/workers/protocol.js';

export async function makeTempDir(prefix = 'tvm-workers-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export async function requestFor(sourcePath: string, outputPath: string, overrides: Partial<CompressRequest> = {}): Promise<CompressRequest> {
  const st = await stat(sourcePath);
  return {
    kind: 'compress',
    sourcePath,
    outputPath,
    codec: 'gzip',
    level: 6,
    skipExtensions: [],
    partSize: 64 * 1024,
    expectedSize: st.size,
    expectedMtimeMs: st.mtimeMs,
    ...overrides,
  };
}

/** A small seeded PRNG so generated data is the same on every run. */
export function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
const TOPICS = ['/sensors/lidar_front', '/sensors/camera_left', '/planning/trajectory', '/control/cmd', '/localization/pose'];

/** `bytes` of deterministic text that looks like a vehicle log (compresses about 4–8×). */
export function logLikeText(bytes: number, seed = 42): Buffer {
  const rand = prng(seed);
  const lines: string[] = [];
  let size = 0;
  let t = Date.UTC(2026, 10, 30, 8, 0, 0);
  let seq = 0;
  while (size < bytes) {
    t += Math.floor(rand() * 50);
    seq += 1;
    const level = LEVELS[Math.floor(rand() * LEVELS.length)]!;
    const topic = TOPICS[Math.floor(rand() * TOPICS.length)]!;
    const line = `${new Date(t).toISOString()} ${level} [node_${Math.floor(rand() * 8)}] topic=${topic} seq=${seq} latency_ms=${(rand() * 20).toFixed(3)} x=${(rand() * 1000).toFixed(2)} y=${(rand() * 1000).toFixed(2)} ok\n`;
    lines.push(line);
    size += Buffer.byteLength(line);
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

/** Writes `bytes` of log-like text in 1 MiB pieces (so the test process never holds it all). */
export async function writeLogLikeFile(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    const piece = 1024 * 1024;
    for (let done = 0, seed = 1; done < bytes; seed += 1) {
      const chunk = logLikeText(Math.min(piece, bytes - done), seed);
      await fh.write(chunk);
      done += chunk.length;
    }
  } finally {
    await fh.close();
  }
}

export interface IndependentDigests {
  sha256Hex: string;
  sha256B64: string;
  md5B64: string;
  partMd5s: string[];
}

/** Checksums of a whole buffer, parts cut at `partSize` (at least one part, like S3 single PUTs). */
export function digestsOf(data: Buffer, partSize: number): IndependentDigests {
  const parts: string[] = [];
  for (let off = 0; off < data.length || parts.length === 0; off += partSize) {
    parts.push(createHash('md5').update(data.subarray(off, off + partSize)).digest('base64'));
  }
  return {
    sha256Hex: createHash('sha256').update(data).digest('hex'),
    sha256B64: createHash('sha256').update(data).digest('base64'),
    md5B64: createHash('md5').update(data).digest('base64'),
    partMd5s: parts,
  };
}

export async function fileDigests(path: string, partSize: number): Promise<IndependentDigests> {
  return digestsOf(await readFile(path), partSize);
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Root reads chmod 000 files anyway: permission tests run their body through asUnprivileged (test/support/unprivileged.ts). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
