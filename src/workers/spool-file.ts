/**
 * The compressed output of one request: bytes go to `<outputPath>.partial`, which is renamed onto
 * `outputPath` once complete, so a reader never sees a half-written output under the final name.
 * `discard()` removes the .partial file on any failure. Output-side errors are classified here
 * (ENOSPC → DISK_FULL).
 *
 * No fsync: the spool is a cache that start-up empties (spool-dir.ts) and compression is
 * deterministic, so no spool file is ever read after a crash; what must survive one (the
 * multipart progress and its resume proof) is in SQLite. An fsync per file was a disk flush on
 * the vehicle's storage for every log uploaded, for bytes nobody would read back.
 */
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import { outputFailure } from './failure.js';

export class SpoolFile {
  readonly outputPath: string;
  readonly partialPath: string;
  readonly #handle: FileHandle;
  #position = 0;
  #closed = false;

  private constructor(outputPath: string, handle: FileHandle) {
    this.outputPath = outputPath;
    this.partialPath = `${outputPath}.partial`;
    this.#handle = handle;
  }

  static async create(outputPath: string): Promise<SpoolFile> {
    const partialPath = `${outputPath}.partial`;
    try {
      await mkdir(dirname(outputPath), { recursive: true });
      // 'w' truncates a .partial left behind by a crashed worker for the same output.
      return new SpoolFile(outputPath, await open(partialPath, 'w'));
    } catch (err) {
      throw outputFailure(err, partialPath);
    }
  }

  async #writeAll(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.#handle.write(chunk, offset, chunk.length - offset, this.#position);
      offset += bytesWritten;
      this.#position += bytesWritten;
    }
  }

  /** A sink for stream.pipeline; a finished pipeline means every byte was written (not flushed: see above). */
  writable(): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        this.#writeAll(chunk).then(() => callback(), (err: unknown) => callback(outputFailure(err, this.partialPath)));
      },
    });
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }

  /** Publishes the output under its final name. */
  async commit(): Promise<void> {
    try {
      await this.#close();
      await rename(this.partialPath, this.outputPath);
    } catch (err) {
      throw outputFailure(err, this.outputPath);
    }
  }

  /** Best effort: close and remove the .partial file; never throws (the request already failed). */
  async discard(): Promise<void> {
    await this.#close().catch(() => undefined);
    await unlink(this.partialPath).catch(() => undefined);
  }
}
