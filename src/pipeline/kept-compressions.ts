/**
 * Compressions kept on the spool between the attempts of a file whose upload failed and will be
 * retried. Without them every retry compresses the whole file again: on a vehicle whose link
 * drops, a 2 GiB bag log would cost a minute of CPU per attempt even though multipart resume
 * keeps the parts already sent. Only large outputs are kept (small ones are cheap to redo), and
 * few of them, so a long outage cannot fill the disk with compressed copies: past `maxFiles` or
 * `maxBytes` the oldest is dropped and its spool file removed.
 *
 * A kept compression is reused only for the same source identity (size and mtime, what the
 * worker itself checks), the same codec, part size and grown-file prefix; the job then uploads
 * the kept spool file and records the level it was made at. The spool is wiped at start, so
 * nothing is kept across a restart (the multipart proof makes a restart compress again anyway).
 */
import type { CompressResult } from '../workers/protocol.js';

export interface KeptCompression {
  readonly result: CompressResult;
  readonly level: number;
  readonly partSize: number;
  readonly prefixSize: number | undefined;
}

export interface KeptCompressionsOptions {
  /** Outputs smaller than this are not kept. */
  readonly minBytes: number;
  readonly maxFiles: number;
  readonly maxBytes: number;
  /** Removes a spool file no longer kept (best effort). */
  readonly remove: (path: string) => Promise<void>;
}

/** Outputs of at least one default multipart part are kept. */
export const KEEP_MIN_BYTES = 8 * 1024 * 1024;
export const KEEP_MAX_FILES = 4;
export const KEEP_MAX_BYTES = 512 * 1024 * 1024;

export class KeptCompressions {
  /** By file id, oldest first (Map keeps insertion order). */
  private readonly kept = new Map<number, KeptCompression>();
  private bytes = 0;

  constructor(private readonly o: KeptCompressionsOptions) {}

  get size(): number {
    return this.kept.size;
  }

  /** Whether an output this large would be kept after a failure. */
  wants(result: CompressResult): boolean {
    return result.body === undefined && result.codec !== 'none' && result.outputSize >= this.o.minBytes && result.outputSize <= this.o.maxBytes;
  }

  /** Keeps a failed attempt's compression (its spool file stays); drops the oldest beyond the bounds. */
  async keep(fileId: number, entry: KeptCompression): Promise<void> {
    await this.drop(fileId, entry.result.uploadPath);
    this.kept.set(fileId, entry);
    this.bytes += entry.result.outputSize;
    for (const [id, old] of this.kept) {
      if (this.kept.size <= this.o.maxFiles && this.bytes <= this.o.maxBytes) break;
      this.forget(id, old);
      await this.o.remove(old.result.uploadPath);
    }
  }

  /**
   * The kept compression of this file if it still matches, removed from the set either way (the
   * caller owns its spool file from here on). A mismatch removes the stale spool file.
   */
  async take(fileId: number, want: { size: number; mtimeMs: number; codec: string; partSize: number; prefixSize: number | undefined }): Promise<KeptCompression | null> {
    const k = this.kept.get(fileId);
    if (k === undefined) return null;
    this.forget(fileId, k);
    const r = k.result;
    if (r.sourceSize === want.size && r.sourceMtimeMs === want.mtimeMs && r.codec === want.codec && k.partSize === want.partSize && k.prefixSize === want.prefixSize) return k;
    await this.o.remove(r.uploadPath);
    return null;
  }

  /** Forgets a file's kept compression and removes its spool file, unless that path is `keepPath`. */
  async drop(fileId: number, keepPath?: string): Promise<void> {
    const k = this.kept.get(fileId);
    if (k === undefined) return;
    this.forget(fileId, k);
    if (k.result.uploadPath !== keepPath) await this.o.remove(k.result.uploadPath);
  }

  private forget(fileId: number, k: KeptCompression): void {
    this.kept.delete(fileId);
    this.bytes -= k.result.outputSize;
  }
}
