/**
 * Reading back what the daemon put into a bucket, for the crash and bad-input suites: list every
 * key, download an object, undo the daemon's gzip (keys ending in .gz) and hash the result, so a
 * test compares SHA-256 of the bytes a reader of the bucket would get with the file on disk.
 * Also a generic event-free poll (`until`) with a generous deadline, for conditions that have no
 * event to wait on (objects appearing, rows in a database another process writes).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export async function listKeys(client: S3Client, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const o of r.Contents ?? []) keys.push(o.Key!);
    token = r.NextContinuationToken;
  } while (token);
  return keys.sort();
}

export async function getObject(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const chunks: Buffer[] = [];
  for await (const c of res.Body as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** SHA-256 of the object's content as the file had it: gunzipped when the key ends in .gz. */
export async function objectContentSha(client: S3Client, bucket: string, key: string): Promise<string> {
  const body = await getObject(client, bucket, key);
  return sha256(key.endsWith('.gz') ? gunzipSync(body) : body);
}

/** LastModified of an object (ms), or null when absent. */
export async function lastModified(client: S3Client, bucket: string, key: string): Promise<number | null> {
  try {
    const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return h.LastModified?.getTime() ?? null;
  } catch {
    return null;
  }
}

/** Polls `cond` every `everyMs` until it holds; throws naming `what` after `timeoutMs`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
