/**
 * Read access to one source log file for one request: open without ever blocking (a FIFO opened for
 * reading would otherwise wait for a writer forever), refuse anything that is not a regular
 * file, check it still is the file the stabilizer declared stable, and read it sequentially in
 * bounded chunks. Detecting a file that changed under us is this module's job too: growth is
 * caught while reading (we never read past expectedSize + 1 bytes), any other change by the
 * fstat after the pass.
 */
import { constants, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ErrorCodes } from '../errors.js';
import { CompressFailure, sourceFailure } from './failure.js';

/** Bytes per read(2). Memory per request is a small multiple of this plus codec state. */
export const READ_CHUNK_BYTES = 256 * 1024;

/** Called after each chunk is read, with the bytes read so far; a test seam (see compress-engine.ts). */
export type ChunkObserver = (bytesRead: number) => void | Promise<void>;

export interface ExpectedIdentity {
  readonly size: number;
  readonly mtimeMs: number;
}

function changed(path: string, detail: string): CompressFailure {
  return new CompressFailure(ErrorCodes.FILE_CHANGED, `source file changed ${detail}: ${path}`);
}

export class SourceFile {
  readonly path: string;
  readonly stat: Stats;
  readonly #handle: FileHandle;
  readonly #expected: ExpectedIdentity;

  private constructor(path: string, handle: FileHandle, stat: Stats, expected: ExpectedIdentity) {
    this.path = path;
    this.#handle = handle;
    this.stat = stat;
    this.#expected = expected;
  }

  /** Opens and vets the file; throws CompressFailure (VANISHED, UNREADABLE, CHANGED). */
  static async open(path: string, expected: ExpectedIdentity): Promise<SourceFile> {
    let handle: FileHandle;
    try {
      // O_NOFOLLOW: a file swapped for a symbolic link after the stability check (to
      // ~/.aws/credentials, say) fails with ELOOP instead of being read and uploaded.
      handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
    } catch (err) {
      throw sourceFailure(err, path);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        const what = stat.isDirectory() ? 'a directory' : 'not a regular file';
        throw new CompressFailure(ErrorCodes.FILE_UNREADABLE, `source is not a regular file (${what}): ${path}`, stat.isDirectory() ? 'EISDIR' : null);
      }
      if (stat.size !== expected.size || stat.mtimeMs !== expected.mtimeMs) {
        throw changed(path, `since it was declared stable (size ${expected.size} -> ${stat.size}, mtimeMs ${expected.mtimeMs} -> ${stat.mtimeMs})`);
      }
      return new SourceFile(path, handle, stat, expected);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw sourceFailure(err, path);
    }
  }

  async #read(buffer: Buffer, position: number): Promise<number> {
    try {
      const { bytesRead } = await this.#handle.read(buffer, 0, buffer.length, position);
      return bytesRead;
    } catch (err) {
      throw sourceFailure(err, this.path);
    }
  }

  /** Up to `max` bytes from the start of the file (fewer if the file is shorter). */
  async readHead(max: number): Promise<Buffer> {
    const buffer = Buffer.alloc(Math.min(max, this.#expected.size));
    let filled = 0;
    while (filled < buffer.length) {
      const n = await this.#read(buffer.subarray(filled), filled);
      if (n === 0) break;
      filled += n;
    }
    return buffer.subarray(0, filled);
  }

  /**
   * The whole file, in order, in fresh buffers of at most READ_CHUNK_BYTES (downstream stages may
   * keep them). Throws FILE_CHANGED as soon as the file proves longer than expected.
   */
  async *chunks(observe?: ChunkObserver): AsyncGenerator<Buffer> {
    const limit = this.#expected.size;
    let position = 0;
    for (;;) {
      // Ask for one byte beyond the expected end so growth is seen without reading the growth.
      const want = Math.min(READ_CHUNK_BYTES, limit + 1 - position);
      const buffer = Buffer.allocUnsafe(want);
      const n = await this.#read(buffer, position);
      if (n === 0) return;
      position += n;
      if (position > limit) throw changed(this.path, `while being read (grew beyond ${limit} bytes)`);
      if (observe !== undefined) await observe(position);
      yield n === want ? buffer : buffer.subarray(0, n);
    }
  }

  /** After a full pass: throws FILE_CHANGED unless the file is exactly as it was when opened. */
  async assertUnchanged(bytesRead: number): Promise<void> {
    let now: Stats;
    try {
      now = await this.#handle.stat();
    } catch (err) {
      throw sourceFailure(err, this.path);
    }
    const { size, mtimeMs } = this.#expected;
    if (bytesRead !== size || now.size !== size || now.mtimeMs !== mtimeMs) {
      throw changed(this.path, `while being read (read ${bytesRead} of ${size} bytes; now size ${now.size}, mtimeMs ${now.mtimeMs})`);
    }
  }

  async close(): Promise<void> {
    await this.#handle.close().catch(() => undefined);
  }
}
