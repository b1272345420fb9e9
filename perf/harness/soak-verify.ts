/**
 * The soak suite's check of one uploaded file, run while the daemon keeps working:
 *
 *   key = <vehicle>/<date of mtime>/<source>/<path in the tree><codec suffix>   (the file's own key)
 *   HEAD: object there, body size = bytes the daemon sent, source-size and source-sha256
 *         metadata = the file's size and the hash taken when the harness wrote it
 *   sampled (seeded 1 in N, and every multipart object): GET, decode, SHA-256 = the file's
 *   then the object is deleted (s3rver keeps objects on disk; 100 GB would fill it); each
 *   object folder holds an empty keeper object first (putKeeper: an s3rver crash otherwise)
 *
 * Failures are returned as sentences, never thrown: one bad object is a finding, and the run
 * goes on to count the rest. Removing the local file is the caller's (it owns the working set).
 */
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { seededRandom } from '../../test/support/seeded-random.js';
import type { Codec } from '../../src/config/types.js';
import { buildObjectKey } from '../../src/sinks/s3/object-key.js';
import type { UploadedLine } from './daemon-child.js';
import type { ServerProcess } from './server-process.js';
import { decoderFor, sha256Of } from './verify.js';

/** What the harness knows of a file it wrote. */
export interface WrittenFile {
  readonly index: number;
  readonly source: string;
  /** Path below the source's watched directory, '/'-separated. */
  readonly relPath: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly mtimeMs: number;
}

export interface VerifyOptions {
  readonly bucket: string;
  readonly vehicleId: string;
  readonly seed: number;
  /** Round-trip one file in this many (seeded by file index), besides every multipart one. */
  readonly sampleEvery: number;
  /** Objects whose body is larger go up as multipart (src/sinks/s3/uploader.ts: outputSize > partSize). */
  readonly partSizeBytes: number;
}

export interface VerifyOutcome {
  /** The object was found under the right key with the right size and receipts. */
  readonly headOk: boolean;
  readonly sampled: boolean;
  readonly multipart: boolean;
  /** null when not sampled. */
  readonly roundTripOk: boolean | null;
  readonly failures: string[];
}

/** Whether file `index` is in the seeded round-trip sample. */
export function inSample(seed: number, index: number, every: number): boolean {
  return seededRandom(seed * 7_919 + index).int(every) === 0;
}

/**
 * An empty object in the folder where the file's object will go. s3rver removes a key's folder
 * when a delete leaves it empty, and a PUT into that folder at the same moment crashes it (its
 * write stream has no error handler: ENOENT kills the server). A folder holding a keeper is never
 * empty, so the harness's deletes never race the daemon's uploads.
 */
export function keeperKey(o: Pick<VerifyOptions, 'vehicleId'>, f: Pick<WrittenFile, 'source' | 'relPath' | 'mtimeMs'>): string {
  const relPath = posix.join(posix.dirname(f.relPath), '.soak-keeper');
  return buildObjectKey({ vehicleId: o.vehicleId, source: f.source, relPath, mtimeMs: f.mtimeMs, codec: 'none' });
}

export async function putKeeper(server: ServerProcess, bucket: string, key: string): Promise<void> {
  await server.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '' }));
}

/**
 * Deletes an object, trying three times: s3rver answers InternalError when its clean-up of empty
 * folders races a write (see putKeeper). Deleting a missing key succeeds, so a retry is safe.
 */
async function deleteObject(server: ServerProcess, bucket: string, key: string): Promise<string | null> {
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await server.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      return null;
    } catch (err) {
      last = (err as Error).message;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
  return last;
}

export async function verifyUpload(server: ServerProcess, o: VerifyOptions, f: WrittenFile, u: UploadedLine, localPath: string): Promise<VerifyOutcome> {
  const failures: string[] = [];
  const want = buildObjectKey({ vehicleId: o.vehicleId, source: f.source, relPath: f.relPath, mtimeMs: f.mtimeMs, codec: u.codec as Codec });
  if (u.key !== want) failures.push(`${u.path}: uploaded as ${u.key}, expected ${want}`);
  if (u.sourceBytes !== f.bytes) failures.push(`${u.key}: daemon reported ${u.sourceBytes} source bytes, the file has ${f.bytes}`);
  const multipart = u.sentBytes > o.partSizeBytes;
  const sampled = multipart || inSample(o.seed, f.index, o.sampleEvery);
  let headOk = false;
  let roundTripOk: boolean | null = null;
  try {
    const head = await server.client.send(new HeadObjectCommand({ Bucket: o.bucket, Key: u.key }));
    const meta = head.Metadata ?? {};
    if (head.ContentLength !== u.sentBytes) failures.push(`${u.key}: object holds ${head.ContentLength} bytes, the daemon sent ${u.sentBytes}`);
    if (meta['source-size'] !== String(f.bytes)) failures.push(`${u.key}: source-size ${meta['source-size']}, the file has ${f.bytes} bytes`);
    if (meta['source-sha256'] !== f.sha256) failures.push(`${u.key}: source-sha256 ${meta['source-sha256']}, the file's is ${f.sha256}`);
    headOk = failures.length === 0;
    if (sampled) {
      const obj = await server.client.send(new GetObjectCommand({ Bucket: o.bucket, Key: u.key }));
      const got = await sha256Of(obj.Body as Readable, await decoderFor(u.key, localPath));
      roundTripOk = got === f.sha256;
      if (!roundTripOk) failures.push(`${u.key}: decoded content's SHA-256 ${got} differs from the file's ${f.sha256}`);
    }
  } catch (err) {
    failures.push(`${u.key}: ${(err as Error).message}`);
    if (sampled && roundTripOk === null) roundTripOk = false;
  }
  const deleteError = await deleteObject(server, o.bucket, u.key);
  if (deleteError !== null) failures.push(`${u.key}: could not delete the object after checking it: ${deleteError}`);
  return { headOk, sampled, multipart, roundTripOk, failures };
}
