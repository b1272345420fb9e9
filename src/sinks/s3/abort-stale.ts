/**
 * Housekeeping for incomplete multipart uploads: a killed process or a file deleted mid-upload
 * leaves parts that S3 stores (and bills) until they are aborted. This lists the bucket's
 * in-progress uploads and aborts those older than a threshold (default 7 days), except the ones
 * the caller still intends to resume (`keep`, fed from the multipart progress store). Servers
 * that cannot list uploads (s3rver) are reported as unsupported, not as failures.
 *
 * There is deliberately no pass from the other side ("recorded uploads whose spool file is
 * gone"): the spool is wiped at every start while a recorded upload still resumes (its parts are
 * compared with a fresh compression), so such a pass would abort resumable uploads.
 */
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '../../telemetry/logger.js';
import { errorSignals, hasAny } from '../error-chain.js';
import { classify } from './classify.js';

export const DEFAULT_STALE_MS = 7 * 24 * 3600 * 1000;

export interface AbortStaleOptions {
  readonly client: Pick<S3Client, 'send'>;
  readonly bucket: string;
  readonly olderThanMs?: number;
  /** Only uploads under this key prefix (e.g. "<vehicle_id>/"): never touch other writers' uploads. */
  readonly prefix?: string;
  /** Upload ids still referenced by local progress: never aborted. */
  readonly keep?: (uploadId: string) => boolean;
  readonly now?: () => number;
  readonly logger?: Pick<Logger, 'info' | 'warn'>;
  readonly signal?: AbortSignal;
}

export interface AbortStaleResult {
  readonly supported: boolean;
  readonly aborted: number;
  readonly kept: number;
  readonly failed: number;
}

const UNSUPPORTED = new Set(['MethodNotAllowed', 'NotImplemented']);

export async function abortStaleUploads(opts: AbortStaleOptions): Promise<AbortStaleResult> {
  const cutoff = (opts.now ?? Date.now)() - (opts.olderThanMs ?? DEFAULT_STALE_MS);
  let aborted = 0;
  let kept = 0;
  let failed = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (let page = 0; page < 1000; page++) {
    let res;
    try {
      res = await opts.client.send(
        new ListMultipartUploadsCommand({ Bucket: opts.bucket, Prefix: opts.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        { abortSignal: opts.signal },
      );
    } catch (err) {
      const s = errorSignals(err);
      if (hasAny(s, UNSUPPORTED) !== undefined || s.status === 405 || s.status === 501) {
        return { supported: false, aborted, kept, failed };
      }
      throw classify(err, { bucket: opts.bucket, operation: 'ListMultipartUploads' });
    }
    for (const u of res.Uploads ?? []) {
      if (u.Key === undefined || u.UploadId === undefined) continue;
      const initiated = u.Initiated?.getTime();
      if (initiated === undefined || initiated > cutoff) continue;
      if (opts.keep?.(u.UploadId)) {
        kept++;
        continue;
      }
      try {
        await opts.client.send(new AbortMultipartUploadCommand({ Bucket: opts.bucket, Key: u.Key, UploadId: u.UploadId }), {
          abortSignal: opts.signal,
        });
        aborted++;
        opts.logger?.info({ bucket: opts.bucket, key: u.Key, uploadId: u.UploadId, initiated: u.Initiated }, 'aborted stale multipart upload');
      } catch (err) {
        if (hasAny(errorSignals(err), new Set(['NoSuchUpload'])) !== undefined) continue;
        failed++;
        opts.logger?.warn({ bucket: opts.bucket, key: u.Key, uploadId: u.UploadId, err: classify(err).message }, 'could not abort stale multipart upload');
      }
    }
    if (!res.IsTruncated) break;
    keyMarker = res.NextKeyMarker;
    uploadIdMarker = res.NextUploadIdMarker;
    if (keyMarker === undefined && uploadIdMarker === undefined) break;
  }
  return { supported: true, aborted, kept, failed };
}
