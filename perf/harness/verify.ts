/**
 * Spot checks that what a perf run counted as uploaded is really the file: a few objects are
 * downloaded, decompressed according to their key suffix (.gz, .zst, or stored as is) and their
 * SHA-256 compared with the source file's. Timing figures from a run that uploads garbage would
 * be worthless, and counting objects alone cannot tell. Streamed end to end (the large-file
 * suite's object is hundreds of MiB); runs after the measured window.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { ServerProcess } from './server-process.js';

const require = createRequire(import.meta.url);

/** SHA-256 (hex) of a stream, decoded on the way when a decoder is given. */
export async function sha256Of(stream: Readable, decoder: Transform | null): Promise<string> {
  const h = createHash('sha256');
  const sink = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) h.update(chunk);
  };
  if (decoder) await pipeline(stream, decoder, sink);
  else await pipeline(stream, sink);
  return h.digest('hex');
}

async function startsWithGzipMagic(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    return head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * How to turn the object back into the source. A `.gz` key is either our gzip of the file or an
 * already-compressed `.log.gz` source stored as is (its key keeps its own suffix): the source's
 * first bytes tell which.
 */
export async function decoderFor(key: string, sourcePath: string): Promise<Transform | null> {
  if (key.endsWith('.zst')) {
    const zstd = require('zstd-napi') as { DecompressStream: new () => Transform };
    return new zstd.DecompressStream();
  }
  if (key.endsWith('.gz') && !(await startsWithGzipMagic(sourcePath))) return createGunzip();
  return null;
}

/** Checks up to `max` of `uploads` (spread evenly); returns how many matched and what did not. */
export async function verifySample(
  server: ServerProcess,
  bucket: string,
  uploads: readonly { path: string; key: string }[],
  max = 3,
): Promise<{ verified: number; failures: string[] }> {
  const picks = uploads.length <= max ? uploads : Array.from({ length: max }, (_, i) => uploads[Math.floor((i * uploads.length) / max)]!);
  let verified = 0;
  const failures: string[] = [];
  for (const u of picks) {
    try {
      const want = await sha256Of(createReadStream(u.path), null);
      const obj = await server.client.send(new GetObjectCommand({ Bucket: bucket, Key: u.key }));
      const got = await sha256Of(obj.Body as Readable, await decoderFor(u.key, u.path));
      if (got === want) verified++;
      else failures.push(`${u.key}: content differs from ${u.path}`);
    } catch (err) {
      failures.push(`${u.key}: ${(err as Error).message}`);
    }
  }
  return { verified, failures };
}
