/**
 * Checksums computed on the fly while bytes stream past, so no file is ever read twice or held
 * in memory: SHA-256 (for x-amz-checksum-sha256 and the source digest), MD5 of the whole
 * (Content-MD5 of a single PUT) and one MD5 per multipart part. Parts are cut at exact
 * `partSize` byte offsets of the stream, whatever the chunk boundaries are.
 *
 * There is always at least one part: an object of `partSize` bytes or less (even an empty one)
 * is one part whose MD5 equals the whole-object MD5.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export interface Digests {
  readonly bytes: number;
  readonly sha256: Buffer;
  /** Null when the hasher was built without MD5 (source side of a compression). */
  readonly md5: Buffer | null;
  /** Base64 MD5 per part; empty when built without MD5. */
  readonly partMd5s: readonly string[];
  /** SHA-256 of the first `prefixBytes` bytes; null when not asked for or the stream was shorter. */
  readonly prefixSha256: Buffer | null;
}

export interface HasherOptions {
  /** Part size in bytes for per-part MD5s; omit to compute SHA-256 only. */
  readonly partSize?: number;
  /**
   * Also the SHA-256 of the first this-many bytes (forked from the running hash at that exact
   * offset): tells whether a file only grew since an earlier upload of that many bytes.
   */
  readonly prefixBytes?: number;
}

export class StreamHasher {
  #bytes = 0;
  readonly #sha256: Hash = createHash('sha256');
  readonly #partSize: number;
  #part: Hash | null;
  #partFill = 0;
  readonly #parts: Buffer[] = [];
  /**
   * MD5 of the whole object. Objects of one part (the common case) need no second MD5: the
   * whole-object hasher is forked from the first part's state (Hash.copy) only when a second
   * part begins, so only bytes after the first part are hashed twice.
   */
  #whole: Hash | null = null;
  #finished: Digests | null = null;
  readonly #prefixBytes: number | null;
  #prefix: Buffer | null = null;

  constructor(options: HasherOptions = {}) {
    const { partSize, prefixBytes } = options;
    if (prefixBytes !== undefined && (!Number.isSafeInteger(prefixBytes) || prefixBytes < 1)) {
      throw new RangeError(`prefixBytes must be a positive integer, got ${String(prefixBytes)}`);
    }
    this.#prefixBytes = prefixBytes ?? null;
    if (partSize !== undefined && (!Number.isSafeInteger(partSize) || partSize < 1)) {
      throw new RangeError(`partSize must be a positive integer, got ${String(partSize)}`);
    }
    this.#partSize = partSize ?? 0;
    this.#part = partSize === undefined ? null : createHash('md5');
  }

  update(chunk: Buffer): void {
    if (this.#finished !== null) throw new Error('StreamHasher.update() after digest()');
    const cut = this.#prefixBytes === null || this.#prefix !== null ? -1 : this.#prefixBytes - this.#bytes;
    if (cut >= 0 && cut <= chunk.length) {
      this.#sha256.update(chunk.subarray(0, cut));
      this.#prefix = this.#sha256.copy().digest();
      this.#sha256.update(chunk.subarray(cut));
    } else {
      this.#sha256.update(chunk);
    }
    this.#bytes += chunk.length;
    if (this.#part === null) return;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#partFill === this.#partSize) this.#closePart();
      const take = Math.min(this.#partSize - this.#partFill, chunk.length - offset);
      const slice = chunk.subarray(offset, offset + take);
      this.#part.update(slice);
      this.#whole?.update(slice);
      this.#partFill += take;
      offset += take;
    }
  }

  /** A full part is closed lazily, when the next byte arrives, so a last full part is not special. */
  #closePart(): void {
    const part = this.#part as Hash;
    this.#whole ??= part.copy();
    this.#parts.push(part.digest());
    this.#part = createHash('md5');
    this.#partFill = 0;
  }

  digest(): Digests {
    if (this.#finished !== null) return this.#finished;
    let md5: Buffer | null = null;
    if (this.#part !== null) {
      const last = this.#part.digest();
      this.#parts.push(last);
      md5 = this.#whole === null ? last : this.#whole.digest();
    }
    this.#finished = {
      bytes: this.#bytes,
      sha256: this.#sha256.digest(),
      md5,
      partMd5s: this.#parts.map((p) => p.toString('base64')),
      prefixSha256: this.#prefix,
    };
    return this.#finished;
  }
}

/** A pass-through stage that feeds every chunk to a StreamHasher. */
export class HashTap extends Transform {
  readonly hasher: StreamHasher;

  constructor(options: HasherOptions = {}) {
    super();
    this.hasher = new StreamHasher(options);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hasher.update(chunk);
    callback(null, chunk);
  }
}
