/**
 * S3Sink: the one object the daemon builds for S3, like CloudWatchSink for metrics. It owns the
 * client (and destroys it on close), the uploader, and everything that turns a queued file into
 * an object: the key (object-key.ts), the user metadata (metadata.ts, plus an incident marker
 * when one covers the file), the content type and the codec's encoding proof; and the daily
 * abort of stale multipart uploads this daemon no longer tracks.
 *
 *   upload job ─► objectKey(record, codec) ─► key versions (state) ─► upload(request)
 *                                                                     └► S3Uploader ─► S3
 *
 * It does not retry, choose key versions or record outcomes: the upload job and the retry
 * policy do. Bucket, vehicle id and encoding come from the configuration it was built with
 * (a reload cannot change them).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Codec, Config } from '../../config/types.js';
import type { FileRecord } from '../../state/types.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CompressResult } from '../../workers/protocol.js';
import { codecVersion } from '../../workers/codec-version.js';
import type { Throttle } from '../throttle.js';
import { abortStaleUploads, type AbortStaleResult } from './abort-stale.js';
import { createS3Client } from './client.js';
import { buildObjectMetadata, contentTypeFor } from './metadata.js';
import type { MultipartStore } from './multipart.js';
import { buildObjectKey } from './object-key.js';
import { S3Uploader, type UploadOutcome } from './uploader.js';

export interface S3SinkOptions {
  readonly config: Pick<Config, 'vehicleId' | 's3'> & {
    readonly upload: Pick<Config['upload'], 'concurrency' | 'partConcurrency' | 'partSizeMb'>;
  };
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly throttle: Throttle;
  /** Persisted multipart progress; `listAll` names the uploads the stale-upload abort keeps. */
  readonly multipart: MultipartStore & { listAll(): ReadonlyArray<{ readonly uploadId: string }> };
  readonly now: () => number;
  /** Explicit credentials (tests); default: the AWS credential chain. */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Adds metadata for the file's mtime (an incident marker); default: none. */
  readonly decorate?: (metadata: Record<string, string>, mtimeMs: number) => Record<string, string>;
  /** A ready client (tests); default: built by createS3Client, destroyed on close. */
  readonly client?: S3Client;
}

/** One object to write: the queued file, its compressed result and the key issued for it. */
export interface S3UploadRequest {
  readonly record: Pick<FileRecord, 'id' | 'path' | 'mtimeMs'>;
  readonly key: string;
  readonly result: CompressResult;
  /** The level it was compressed at (the configured one, or raised under a cap); recorded with a multipart upload. */
  readonly level: number;
  /** HEAD first and skip when the object already holds these source bytes. */
  readonly verifyRemote: boolean;
  /** The key holds an earlier, shorter content of this file: replace it. */
  readonly replaces?: string | undefined;
  readonly signal: AbortSignal;
}

export class S3Sink {
  readonly partSize: number;
  private readonly client: S3Client;
  private readonly uploader: S3Uploader;
  private closed = false;

  constructor(private readonly o: S3SinkOptions) {
    const { config } = o;
    this.partSize = config.upload.partSizeMb * 1024 * 1024;
    // One socket per part in flight, plus one for HEADs and listings.
    this.client = o.client ?? createS3Client(config.s3, o.env, {
      maxSockets: config.upload.concurrency * config.upload.partConcurrency + 1,
      logger: o.logger,
      ...(o.credentials ? { credentials: o.credentials } : {}),
    }).client;
    this.uploader = new S3Uploader({
      client: this.client,
      bucket: config.s3.bucket,
      s3: config.s3,
      partSize: this.partSize,
      partConcurrency: config.upload.partConcurrency,
      throttle: o.throttle,
      multipart: o.multipart,
      logger: o.logger,
      conditionalWrites: config.s3.conditionalWrites,
    });
  }

  /** The reference key of a file's content in `codec` (throws a permanent error for a name that cannot be a key). */
  objectKey(record: Pick<FileRecord, 'source' | 'relPath' | 'mtimeMs'>, codec: Codec): string {
    return buildObjectKey({ vehicleId: this.o.config.vehicleId, source: record.source, relPath: record.relPath, mtimeMs: record.mtimeMs, codec });
  }

  upload(req: S3UploadRequest): Promise<UploadOutcome> {
    const metadata = buildObjectMetadata({ vehicleId: this.o.config.vehicleId, path: req.record.path, result: req.result });
    return this.uploader.upload({
      fileId: req.record.id,
      key: req.key,
      result: req.result,
      metadata: this.o.decorate?.(metadata, req.record.mtimeMs) ?? metadata,
      contentType: contentTypeFor(req.key),
      verifyRemote: req.verifyRemote,
      replaces: req.replaces,
      source: { path: req.record.path, size: req.result.sourceSize },
      signal: req.signal,
      encoding: { level: req.result.codec === 'none' ? 0 : req.level, version: codecVersion(req.result.codec) },
    });
  }

  /**
   * Multipart uploads this daemon no longer tracks (file gone, progress lost with a rebuilt
   * database) would otherwise be billed forever: aborts ours (under the vehicle's prefix) older
   * than a week. Throws only when the tracked uploads cannot be read from the state store.
   */
  abortStale(): Promise<AbortStaleResult> {
    const tracked = new Set(this.o.multipart.listAll().map((p) => p.uploadId));
    return abortStaleUploads({
      client: this.client,
      bucket: this.o.config.s3.bucket,
      prefix: `${this.o.config.vehicleId}/`,
      keep: (id) => tracked.has(id),
      now: this.o.now,
      logger: this.o.logger,
    });
  }

  /** Closes the connections (after the uploads have finished or been checkpointed). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.destroy();
  }
}
