/**
 * Whether an object found at our key holds an earlier, shorter content of the very file we are
 * about to write there: its metadata names a source sha256 and size, and the first that-many
 * bytes of our source hash to the same sha256. Such an object is replaced rather than versioned,
 * since the new bytes hold everything it held.
 *
 * This is the crash path of a growing log: the daemon wrote a longer content and was killed
 * before recording it, so the state store still names the older content (or only a reservation),
 * and the file grew again before the restart. Checking the bytes, not the records, makes the
 * rule safe whoever wrote the object. Only reached after a HEAD found other bytes (rare): the
 * prefix is read once, streamed, never held in memory.
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { parseObjectMetadata } from './metadata.js';

export interface SourceBytes {
  readonly path: string;
  /** Size the source had when compressed; a remote content must be strictly shorter. */
  readonly size: number;
}

export async function holdsPrefixOfSource(
  remoteMetadata: Record<string, string> | undefined,
  source: SourceBytes,
  signal?: AbortSignal,
): Promise<boolean> {
  const remote = parseObjectMetadata(remoteMetadata);
  const size = remote.sourceSize;
  if (remote.sourceSha256 === undefined || size === undefined || !Number.isInteger(size)) return false;
  if (size <= 0 || size >= source.size) return false;
  try {
    const hash = createHash('sha256');
    let read = 0;
    const stream = createReadStream(source.path, { start: 0, end: size - 1, ...(signal !== undefined ? { signal } : {}) });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      read += chunk.length;
    }
    // A file cut shorter since its compression cannot prove anything.
    return read === size && hash.digest('hex') === remote.sourceSha256;
  } catch {
    // Unreadable now (gone, permissions, aborted): not proven, so the key counts as taken.
    return false;
  }
}
