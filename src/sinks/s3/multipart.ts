/**
 * Resumable multipart upload of one object. Progress (upload id + every completed part) is
 * persisted through a `MultipartStore` the moment S3 acknowledges a part, so a network drop,
 * a crash or a shutdown resumes where it stopped instead of re-sending the whole file.
 *
 *   store.get ──► same key/source/part size? ──yes──► ListParts reconcile ──┐
 *        │ no / stale                                                    │ NoSuchUpload:
 *        ▼                                                               │ restart once
 *   CreateMultipartUpload ─► store.begin ─► UploadPart × partConcurrency ◄┘
 *        (each: file range stream, Content-MD5, ETag check, store.recordPart)
 *   ─► CompleteMultipartUpload (sorted) ─► ETag check ─► store.delete
 *
 * Parts stream from file ranges; nothing is buffered beyond stream high-water marks. A
 * permanent error aborts the upload and forgets it; a retriable one keeps the upload id for the
 * next attempt. Part MD5s come from the compression worker for the configured part size, so an
 * object needing more than 10,000 parts cannot be re-split here.
 */
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand,
  UploadPartCommand, type S3Client, type UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import type { CompletedPart, MultipartProgress, ResumeProof } from '../../state/types.js';
import { ErrorCodes, TvmError } from '../../errors.js';
import type { Logger } from '../../telemetry/logger.js';
import { errorSignals, hasAny } from '../error-chain.js';
import { classify } from './classify.js';
import type { Throttle } from '../throttle.js';
import { sendFileBody } from './body.js';
import { etagIsMd5, verifyMultipartEtag, verifySingleEtag } from './etag.js';
import { refusedAsTaken } from './key-taken.js';
import { objectParams, type ObjectSpec, type ObjectSettings } from './object-spec.js';
import { reconcileParts, type PartPlan } from './resume.js';

export type { PartPlan } from './resume.js';

export const MAX_PARTS = 10_000;

/** Persisted progress, implemented by the state layer (src/state). Methods may be sync or async. */
export interface MultipartStore {
  begin(progress: Omit<MultipartProgress, 'parts'>): void | Promise<void>;
  /** Upsert by part number. */
  recordPart(fileId: number, part: CompletedPart): void | Promise<void>;
  get(fileId: number): MultipartProgress | null | undefined | Promise<MultipartProgress | null | undefined>;
  delete(fileId: number): void | Promise<void>;
}

export function planParts(size: number, partSize: number): PartPlan[] {
  const parts: PartPlan[] = [];
  for (let start = 0, n = 1; start < size; start += partSize, n++) {
    const len = Math.min(partSize, size - start);
    parts.push({ partNumber: n, start, end: start + len - 1, size: len });
  }
  return parts;
}

export interface MultipartDeps {
  readonly client: Pick<S3Client, 'send'>;
  readonly bucket: string;
  readonly partSize: number;
  readonly partConcurrency: number;
  readonly throttle?: Throttle | undefined;
  readonly store: MultipartStore;
  readonly logger: Pick<Logger, 'debug' | 'info' | 'warn'>;
  readonly now: () => number;
  /** Progress older than this is not resumed (S3 lifecycle rules usually abort uploads after 7 days). */
  readonly maxResumeAgeMs: number;
  readonly s3: ObjectSettings;
  /** `If-None-Match: *` on CompleteMultipartUpload: a refusal (412) becomes KEY_TAKEN. */
  readonly conditionalWrites?: boolean;
  /**
   * Looks for the finished object (HEAD + metadata): after NoSuchUpload it may already exist.
   * Throws KEY_TAKEN when the key holds another source's object.
   */
  readonly findExisting?: (() => Promise<string | null>) | undefined;
}

const PROGRESS_INVALID = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall']);

const isCode = (err: unknown, code: string): boolean => hasAny(errorSignals(err), new Set([code])) !== undefined;

interface Session {
  readonly uploadId: string;
  readonly done: Map<number, CompletedPart>;
}

/** Uploads `job` as a multipart object; returns the final ETag and the bytes sent by this call. */
export class MultipartUpload {
  private bytesSent = 0;
  private readonly plan: PartPlan[];
  private readonly ctx: { bucket: string; key: string };

  constructor(private readonly deps: MultipartDeps, private readonly job: ObjectSpec) {
    this.plan = planParts(job.result.outputSize, deps.partSize);
    this.ctx = { bucket: deps.bucket, key: job.key };
  }

  async run(): Promise<{ etag: string; bytesSent: number }> {
    const { job, plan } = this;
    if (plan.length > MAX_PARTS) {
      throw new TvmError(
        ErrorCodes.S3_TOO_LARGE,
        `s3://${this.deps.bucket}/${job.key} would need ${plan.length} parts of ${this.deps.partSize} bytes; S3 allows ${MAX_PARTS}`,
        {
          retriability: 'permanent',
          details: { ...this.ctx, parts: plan.length, partSize: this.deps.partSize, size: job.result.outputSize },
          hint: `raise upload.part_size_mb to at least ${Math.ceil(job.result.outputSize / MAX_PARTS / 1048576)}`,
        },
      );
    }
    if (job.result.partMd5s.length !== plan.length) {
      throw new TvmError(
        ErrorCodes.INTERNAL,
        `compression result for ${job.key} has ${job.result.partMd5s.length} part MD5s, expected ${plan.length} for part size ${this.deps.partSize}`,
        { retriability: 'retriable', details: this.ctx, hint: 'the file is compressed again with the current part size' },
      );
    }
    let session: Session | undefined;
    for (let restart = 0; ; restart++) {
      try {
        session = await this.resumeOrCreate();
        if (session.done.size === plan.length) {
          // Every part was already sent, so a Complete may have succeeded with its answer lost.
          // Some servers (s3rver) then answer a repeated Complete with 500, not NoSuchUpload, and
          // the file would retry forever: look for the finished object first.
          const etag = await this.findExistingQuietly();
          if (etag !== null) {
            await this.deps.store.delete(job.fileId);
            return { etag, bytesSent: this.bytesSent };
          }
        }
        await this.uploadMissing(session);
        return await this.complete(session);
      } catch (err) {
        if (isCode(err, 'NoSuchUpload') && restart === 0 && !job.signal?.aborted) {
          await this.deps.store.delete(job.fileId);
          // A Complete whose answer was lost also ends in NoSuchUpload: the object may be there.
          const etag = await this.findExistingQuietly();
          if (etag !== null) return { etag, bytesSent: this.bytesSent };
          this.deps.logger.info({ ...this.ctx }, 'multipart upload no longer exists on the server; starting over');
          session = undefined;
          continue;
        }
        throw await this.fail(err, session);
      }
    }
  }

  private async findExistingQuietly(): Promise<string | null> {
    if (this.deps.findExisting === undefined) return null;
    try {
      return await this.deps.findExisting();
    } catch (err) {
      // Completing would replace another file's object: that must surface, not be swallowed.
      if (err instanceof TvmError && err.code === ErrorCodes.KEY_TAKEN) throw err;
      return null;
    }
  }

  private async fail(err: unknown, session: Session | undefined): Promise<TvmError> {
    const error = classify(err, { ...this.ctx, operation: 'multipart upload' });
    if (this.job.signal?.aborted) return error;
    const invalid = hasAny(errorSignals(err), PROGRESS_INVALID) !== undefined;
    // KEY_TAKEN: this upload id is bound to a key we will not use again.
    const dead = error.retriability === 'permanent' || invalid || error.code === ErrorCodes.KEY_TAKEN;
    if (dead && session !== undefined) {
      await this.abortQuietly(this.job.key, session.uploadId);
      await this.deps.store.delete(this.job.fileId);
    }
    return error;
  }

  private async resumeOrCreate(): Promise<Session> {
    const { job, deps } = this;
    const p = await deps.store.get(job.fileId);
    if (p) {
      const fresh = deps.now() - p.createdAt <= deps.maxResumeAgeMs;
      const mismatch = proofMismatch(p.proof, this.proof());
      if (p.objectKey === job.key && p.sourceSha256 === job.result.sourceSha256 && p.partSize === deps.partSize && fresh && mismatch === null) {
        const done = await reconcileParts({
          client: deps.client,
          bucket: deps.bucket,
          key: job.key,
          plan: this.plan,
          partMd5s: job.result.partMd5s,
          uploadPath: job.result.uploadPath,
          opaqueEtags: deps.s3.serverSideEncryption === 'aws:kms',
          progress: p,
          adopt: (part) => deps.store.recordPart(job.fileId, part),
          logger: deps.logger,
          signal: job.signal,
        });
        deps.logger.debug({ ...this.ctx, uploadId: p.uploadId, partsDone: done.size, parts: this.plan.length }, 'resuming multipart upload');
        return { uploadId: p.uploadId, done };
      }
      if (mismatch !== null) {
        deps.logger.info({ ...this.ctx, uploadId: p.uploadId, mismatch }, `recorded parts are of other bytes (${mismatch}); starting the multipart upload clean`);
      }
      await this.abortQuietly(p.objectKey, p.uploadId);
      await deps.store.delete(job.fileId);
    }
    const created = await deps.client.send(
      new CreateMultipartUploadCommand({ ...objectParams(job, deps.s3), Bucket: deps.bucket, Key: job.key }),
      { abortSignal: job.signal },
    );
    if (!created.UploadId) throw new TvmError(ErrorCodes.S3_REJECTED, `CreateMultipartUpload for ${job.key} returned no upload id`, { details: this.ctx });
    await deps.store.begin({
      fileId: job.fileId,
      uploadId: created.UploadId,
      objectKey: job.key,
      partSize: deps.partSize,
      uploadPath: job.result.uploadPath,
      sourceSha256: job.result.sourceSha256,
      proof: this.proof(),
      createdAt: deps.now(),
    });
    return { uploadId: created.UploadId, done: new Map() };
  }

  private proof(): ResumeProof {
    const { result, encoding } = this.job;
    return { codec: result.codec, codecLevel: encoding.level, codecVersion: encoding.version, outputSha256: result.outputSha256 };
  }

  private async uploadMissing(session: Session): Promise<void> {
    const todo = this.plan.filter((p) => !session.done.has(p.partNumber));
    let next = 0;
    let firstError: unknown;
    // Pull-based pool: at most partConcurrency parts (and file streams) in flight; after the
    // first failure no new part starts, running ones finish and are recorded.
    const worker = async (): Promise<void> => {
      while (firstError === undefined && next < todo.length && !this.job.signal?.aborted) {
        const part = todo[next++]!;
        try {
          await this.uploadPart(session, part);
        } catch (err) {
          firstError ??= err;
        }
      }
    };
    const n = Math.max(1, Math.min(this.deps.partConcurrency, todo.length));
    await Promise.all(Array.from({ length: n }, worker));
    if (firstError !== undefined) throw firstError;
    this.job.signal?.throwIfAborted();
  }

  private async uploadPart(session: Session, part: PartPlan): Promise<void> {
    const { deps, job } = this;
    const md5 = job.result.partMd5s[part.partNumber - 1]!;
    const res = await sendFileBody<UploadPartCommand, UploadPartCommandOutput>({
      client: deps.client,
      path: job.result.uploadPath,
      start: part.start,
      end: part.end,
      throttle: deps.throttle,
      signal: job.signal,
      build: (body) =>
        new UploadPartCommand({
          Bucket: deps.bucket,
          Key: job.key,
          UploadId: session.uploadId,
          PartNumber: part.partNumber,
          Body: body,
          ContentLength: part.size,
          ContentMD5: md5,
        }),
    });
    if (!res.ETag) throw new TvmError(ErrorCodes.S3_REJECTED, `UploadPart ${part.partNumber} of ${job.key} returned no ETag`, { details: this.ctx });
    if (etagIsMd5(res)) verifySingleEtag(res.ETag, md5, `part ${part.partNumber} of s3://${deps.bucket}/${job.key}`, this.ctx);
    const done = { partNumber: part.partNumber, etag: res.ETag, size: part.size };
    await deps.store.recordPart(job.fileId, done);
    session.done.set(part.partNumber, done);
    this.bytesSent += part.size;
  }

  private async complete(session: Session): Promise<{ etag: string; bytesSent: number }> {
    const { deps, job } = this;
    const parts = [...session.done.values()].sort((a, b) => a.partNumber - b.partNumber);
    const res = await refusedAsTaken(deps.bucket, job.key, () =>
      deps.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: deps.bucket,
          Key: job.key,
          UploadId: session.uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
          ...(deps.conditionalWrites === true ? { IfNoneMatch: '*' } : {}),
        }),
        { abortSignal: job.signal },
      ),
    );
    // The upload id is consumed now, whatever the ETag says: progress is useless from here on.
    await deps.store.delete(job.fileId);
    const etag = res.ETag ?? '';
    if (etagIsMd5(res)) verifyMultipartEtag(etag, job.result.partMd5s, job.result.outputMd5, `s3://${deps.bucket}/${job.key}`, this.ctx);
    return { etag, bytesSent: this.bytesSent };
  }

  private async abortQuietly(key: string, uploadId: string): Promise<void> {
    try {
      await this.deps.client.send(new AbortMultipartUploadCommand({ Bucket: this.deps.bucket, Key: key, UploadId: uploadId }));
    } catch (err) {
      // Best effort: a lifecycle rule or abortStaleUploads() cleans up what this misses.
      this.deps.logger.debug({ bucket: this.deps.bucket, key, uploadId, err: classify(err).message }, 'could not abort multipart upload');
    }
  }
}

/**
 * Which part of the proof differs, or null. The output sha256 alone settles it (same bytes, same
 * parts); codec, level and library version are compared too so the log says why.
 */
function proofMismatch(recorded: ResumeProof, now: ResumeProof): string | null {
  for (const k of ['codec', 'codecLevel', 'codecVersion', 'outputSha256'] as const) {
    if (recorded[k] !== now[k]) return `${k} ${JSON.stringify(recorded[k])} → ${JSON.stringify(now[k])}`;
  }
  return null;
}
