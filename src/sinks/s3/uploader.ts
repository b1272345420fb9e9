/**
 * S3Uploader: puts one compressed file into the bucket, exactly once in effect.
 *
 *   verifyRemote? ─► HeadObject: same source-sha256 and size ─► skipped
 *   result.body (a small output in memory) ─► PutObject of that buffer (no file touched) ─► ETag check
 *   stat spool file (must still be outputSize bytes)
 *   outputSize ≤ partSize ─► PutObject (file stream, Content-MD5, x-amz-checksum-sha256) ─► ETag check
 *   otherwise          ─► MultipartUpload (multipart.ts: resumable, persisted per part)
 *
 * Every failure leaves as a classified TvmError (retry.ts) carrying { bucket, key } and a hint;
 * the caller's retry policy decides what happens next. An aborted signal (shutdown) ends
 * in-flight requests at once and reports SHUTDOWN_TIMEOUT; multipart progress is kept.
 * This class does not choose keys, build metadata or retry: callers pass those in.
 */
import { stat } from 'node:fs/promises';
import { AbortMultipartUploadCommand, HeadObjectCommand, PutObjectCommand, type PutObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/types.js';
import { ErrorCodes, TvmError } from '../../errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { errorSignals } from '../error-chain.js';
import { classify } from './classify.js';
import type { Throttle } from '../throttle.js';
import { sendFileBody } from './body.js';
import { etagIsMd5, verifySingleEtag } from './etag.js';
import { holdsSameSource, parseObjectMetadata } from './metadata.js';
import { MultipartUpload, type MultipartStore } from './multipart.js';
import { keyTaken, refusedAsTaken } from './key-taken.js';
import { objectParams, type ObjectSpec } from './object-spec.js';
import { holdsPrefixOfSource, type SourceBytes } from './source-prefix.js';

export type { MultipartStore } from './multipart.js';

/** S3's object size limit. */
export const MAX_OBJECT_BYTES = 5 * 1024 ** 4;
export const DEFAULT_MAX_RESUME_AGE_MS = 6 * 24 * 3600 * 1000;

export interface S3UploaderOptions {
  readonly client: Pick<S3Client, 'send'>;
  readonly bucket: string;
  readonly s3: Pick<S3Config, 'storageClass' | 'serverSideEncryption' | 'kmsKeyId'>;
  /** Bytes; objects larger than this go multipart. Must equal the part size the worker hashed with. */
  readonly partSize: number;
  /** Parts of one object in flight at once. Memory: ≈ partConcurrency × 64 KiB stream buffers. */
  readonly partConcurrency: number;
  readonly throttle?: Throttle | undefined;
  readonly multipart: MultipartStore;
  readonly logger: Pick<Logger, 'debug' | 'info' | 'warn'>;
  readonly now?: () => number;
  /** Multipart progress older than this starts over. Default 6 days (below the usual 7-day lifecycle abort). */
  readonly maxResumeAgeMs?: number;
  /**
   * Send `If-None-Match: *` with PutObject and CompleteMultipartUpload, so the server refuses to
   * replace an existing object (412 → KEY_TAKEN). Only for endpoints that honour it (AWS S3, moto).
   */
  readonly conditionalWrites?: boolean;
}

export interface ObjectUpload extends ObjectSpec {
  /** HEAD first and skip when the object already holds these source bytes. */
  readonly verifyRemote: boolean;
  /**
   * The key holds an earlier, shorter content of the same file (this source sha256) that the new
   * bytes contain: written without If-None-Match, and a HEAD finding that source is no conflict.
   */
  readonly replaces?: string | undefined;
  /**
   * The source file and its size when compressed: an object at the key whose source is a strict
   * prefix of these bytes (source-prefix.ts) is replaced too, even when the state store never
   * recorded writing it (a crash between the write and its record).
   */
  readonly source?: SourceBytes | undefined;
}

/** What a HEAD found at the key: these bytes already, nothing we must keep, or bytes we keep. */
type Existing = { readonly kind: 'stored'; readonly etag: string } | { readonly kind: 'free' } | { readonly kind: 'replace' };

export interface UploadOutcome {
  readonly etag: string;
  /** True when the object was already there (verifyRemote) and nothing was sent. */
  readonly skipped: boolean;
  /** Bytes of body sent by this call (resumed parts not counted). */
  readonly bytesSent: number;
}

export class S3Uploader {
  private readonly now: () => number;

  constructor(private readonly opts: S3UploaderOptions) {
    if (!(opts.partSize > 0) || !(opts.partConcurrency >= 1)) {
      throw new TvmError(ErrorCodes.INTERNAL, `invalid uploader settings: partSize ${opts.partSize}, partConcurrency ${opts.partConcurrency}`, {
        retriability: 'permanent',
      });
    }
    this.now = opts.now ?? Date.now;
  }

  async upload(job: ObjectUpload): Promise<UploadOutcome> {
    const ctx = { bucket: this.opts.bucket, key: job.key };
    try {
      if (job.result.outputSize > MAX_OBJECT_BYTES) {
        throw new TvmError(ErrorCodes.S3_TOO_LARGE, `${job.result.uploadPath} is ${job.result.outputSize} bytes; S3 objects are limited to 5 TiB`, {
          retriability: 'permanent',
          details: { ...ctx, size: job.result.outputSize },
          hint: 'split the file before it reaches the watched directory',
        });
      }
      // An earlier content of this file found at the key is overwritten: no If-None-Match then.
      let replacing = job.replaces !== undefined;
      if (job.verifyRemote) {
        const found = await this.findExisting(job);
        if (found.kind === 'stored') {
          await this.forgetProgress(job);
          return { etag: found.etag, skipped: true, bytesSent: 0 };
        }
        if (found.kind === 'replace') replacing = true;
      }
      const conditional = this.opts.conditionalWrites === true && !replacing;
      // A body in memory is the bytes the worker hashed: nothing on disk to check or read.
      if (job.result.body !== undefined) return await this.putSingle(job, conditional);
      await this.checkSpool(job);
      if (job.result.outputSize <= this.opts.partSize) return await this.putSingle(job, conditional);
      const mp = new MultipartUpload(
        {
          client: this.opts.client,
          bucket: this.opts.bucket,
          partSize: this.opts.partSize,
          partConcurrency: this.opts.partConcurrency,
          throttle: this.opts.throttle,
          store: this.opts.multipart,
          logger: this.opts.logger,
          now: this.now,
          maxResumeAgeMs: this.opts.maxResumeAgeMs ?? DEFAULT_MAX_RESUME_AGE_MS,
          s3: this.opts.s3,
          conditionalWrites: conditional,
          findExisting: async () => {
            const found = await this.findExisting(job);
            return found.kind === 'stored' ? found.etag : null;
          },
        },
        job,
      );
      const { etag, bytesSent } = await mp.run();
      return { etag, skipped: false, bytesSent };
    } catch (err) {
      throw this.failure(err, job);
    }
  }

  /**
   * What is at job.key: these source bytes already (its ETag), nothing to keep, or an earlier
   * content of this same file to replace. An object holding other bytes is never overwritten:
   * KEY_TAKEN, and the caller picks the next version of the key.
   */
  private async findExisting(job: ObjectUpload): Promise<Existing> {
    let head;
    try {
      head = await this.opts.client.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: job.key }), { abortSignal: job.signal });
    } catch (err) {
      const status = errorSignals(err).status;
      // 404: absent. 403: a write-only IAM policy cannot read objects (or list, which makes a
      // missing object 403 too); uploading is the only way forward either way.
      if (status === 404 || status === 403) return { kind: 'free' };
      throw err;
    }
    if (holdsSameSource(head.Metadata, job.result.sourceSha256)) {
      if (head.ContentLength === job.result.outputSize) {
        this.opts.logger.debug({ bucket: this.opts.bucket, key: job.key }, 'object already in S3 with the same source; not sent again');
        return { kind: 'stored', etag: head.ETag ?? '' };
      }
      // The same source bytes under other codec settings: replacing it loses nothing.
      return { kind: 'replace' };
    }
    if (job.replaces !== undefined && holdsSameSource(head.Metadata, job.replaces)) return { kind: 'replace' };
    if (job.source !== undefined && (await holdsPrefixOfSource(head.Metadata, job.source, job.signal))) {
      this.opts.logger.info({ bucket: this.opts.bucket, key: job.key }, 'object holds an earlier, shorter content of this file; replacing it');
      return { kind: 'replace' };
    }
    throw keyTaken(this.opts.bucket, job.key, parseObjectMetadata(head.Metadata).sourceSha256 ?? '');
  }

  /** After a skip, an upload id left by a crash is useless: abort it and drop the progress. */
  private async forgetProgress(job: ObjectUpload): Promise<void> {
    const p = await this.opts.multipart.get(job.fileId);
    if (!p) return;
    await this.opts.multipart.delete(job.fileId);
    try {
      await this.opts.client.send(new AbortMultipartUploadCommand({ Bucket: this.opts.bucket, Key: p.objectKey, UploadId: p.uploadId }));
    } catch {
      // Best effort: lifecycle rules / abortStaleUploads clean up what this misses.
    }
  }

  /** The spool file must still be the bytes the worker hashed (at least by size). */
  private async checkSpool(job: ObjectUpload): Promise<void> {
    const st = await stat(job.result.uploadPath);
    if (st.size !== job.result.outputSize) {
      throw new TvmError(
        ErrorCodes.FILE_CHANGED,
        `${job.result.uploadPath} is ${st.size} bytes but was ${job.result.outputSize} when compressed`,
        { retriability: 'retriable', details: { path: job.result.uploadPath, key: job.key, bucket: this.opts.bucket }, hint: 'the file is compressed again' },
      );
    }
  }

  private async putSingle(job: ObjectUpload, conditional: boolean): Promise<UploadOutcome> {
    const { result } = job;
    const res = await refusedAsTaken(this.opts.bucket, job.key, () => sendFileBody<PutObjectCommand, PutObjectCommandOutput>({
      client: this.opts.client,
      path: result.uploadPath,
      bytes: result.body,
      throttle: this.opts.throttle,
      signal: job.signal,
      build: (body) =>
        new PutObjectCommand({
          ...objectParams(job, this.opts.s3),
          Bucket: this.opts.bucket,
          Key: job.key,
          Body: body,
          ContentLength: result.outputSize,
          ContentMD5: result.outputMd5,
          ChecksumSHA256: result.outputSha256,
          ...(conditional ? { IfNoneMatch: '*' } : {}),
        }),
    }));
    const etag = res.ETag ?? '';
    if (etagIsMd5(res)) verifySingleEtag(etag, result.outputMd5, `s3://${this.opts.bucket}/${job.key}`, { bucket: this.opts.bucket, key: job.key });
    return { etag, skipped: false, bytesSent: result.outputSize };
  }

  private failure(err: unknown, job: ObjectUpload): TvmError {
    const ctx = { bucket: this.opts.bucket, key: job.key, path: job.result.uploadPath };
    if (job.signal?.aborted) {
      return new TvmError(ErrorCodes.SHUTDOWN_TIMEOUT, `upload of s3://${this.opts.bucket}/${job.key} was interrupted`, {
        cause: err,
        retriability: 'retriable',
        details: { bucket: ctx.bucket, key: ctx.key },
        hint: 'the upload resumes on the next attempt (multipart progress is kept)',
      });
    }
    const error = classify(err, ctx);
    // Errors raised below us (state store, worker) may not name the object yet.
    error.details.bucket ??= ctx.bucket;
    error.details.key ??= ctx.key;
    return error;
  }
}
