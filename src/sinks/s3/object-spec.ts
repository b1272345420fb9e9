/**
 * One object to upload, as the uploader and the multipart engine both see it, and the request
 * fields every write (PutObject, CreateMultipartUpload) carries: content type, metadata,
 * storage class and server-side encryption from the configuration.
 */
import type { ServerSideEncryption, StorageClass } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/types.js';
import type { CompressResult } from '../../workers/protocol.js';

export interface ObjectSpec {
  /** FileRecord.id: the key of persisted multipart progress. */
  readonly fileId: number;
  readonly key: string;
  readonly result: CompressResult;
  /** User metadata (metadata.ts buildObjectMetadata). */
  readonly metadata: Record<string, string>;
  readonly contentType: string;
  /** Aborts in-flight requests; multipart progress is kept. */
  readonly signal?: AbortSignal | undefined;
  /**
   * How result.uploadPath was encoded beyond result.codec: the codec level and library version
   * (workers/codec-version.ts). Part of the proof a multipart resume checks.
   */
  readonly encoding: { readonly level: number; readonly version: string };
}

export type ObjectSettings = Pick<S3Config, 'storageClass' | 'serverSideEncryption' | 'kmsKeyId'>;

export interface ObjectParams {
  ContentType: string;
  Metadata: Record<string, string>;
  StorageClass?: StorageClass;
  ServerSideEncryption?: ServerSideEncryption;
  SSEKMSKeyId?: string;
}

export function objectParams(job: Pick<ObjectSpec, 'contentType' | 'metadata'>, s3: ObjectSettings): ObjectParams {
  const p: ObjectParams = { ContentType: job.contentType, Metadata: job.metadata };
  if (s3.storageClass !== null) p.StorageClass = s3.storageClass as StorageClass;
  if (s3.serverSideEncryption !== null) p.ServerSideEncryption = s3.serverSideEncryption;
  if (s3.serverSideEncryption === 'aws:kms' && s3.kmsKeyId !== null) p.SSEKMSKeyId = s3.kmsKeyId;
  return p;
}
