/**
 * Deciding which parts of an interrupted multipart upload need not be sent again. A part is
 * kept only when the bytes behind it are provably ours: its ETag equals the MD5 the worker
 * computed for that slice. With SSE-KMS configured ETags are opaque, so a recorded part is
 * trusted when it was uploaded from the same spool file (compression is deterministic) and the
 * server still lists exactly that ETag. A bucket that applies KMS by default without it being
 * configured simply gets its parts re-sent: slower, never wrong. The server's ListParts is the
 * truth when it has one; a server without ListParts (s3rver) gets our recorded parts, each of
 * which the server once acknowledged with that ETag.
 */
import { ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CompletedPart, MultipartProgress } from '../../state/types.js';
import type { Logger } from '../../telemetry/logger.js';
import { errorSignals, hasAny } from '../error-chain.js';
import { etagMatchesMd5, normalizeEtag } from './etag.js';

export interface PartPlan {
  readonly partNumber: number;
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
  readonly size: number;
}

export interface ReconcileInput {
  readonly client: Pick<S3Client, 'send'>;
  readonly bucket: string;
  readonly key: string;
  readonly plan: readonly PartPlan[];
  /** Base64 MD5 per planned part, from the compression worker. */
  readonly partMd5s: readonly string[];
  /** The spool file this attempt uploads from. */
  readonly uploadPath: string;
  /** ETags are not MD5s (SSE-KMS configured). */
  readonly opaqueEtags: boolean;
  readonly progress: MultipartProgress;
  /** Called for parts the server has but the crash kept us from recording. */
  readonly adopt: (part: CompletedPart) => void | Promise<void>;
  readonly logger: Pick<Logger, 'debug'>;
  readonly signal?: AbortSignal | undefined;
}

const UNSUPPORTED = new Set(['MethodNotAllowed', 'NotImplemented']);
const MAX_PAGES = 20; // 10,000 parts at 1,000 per page, with room to spare

/** Parts that are done, by part number. Throws what ListParts throws (NoSuchUpload included). */
export async function reconcileParts(input: ReconcileInput): Promise<Map<number, CompletedPart>> {
  const { plan, partMd5s, progress } = input;
  const samePath = progress.uploadPath === input.uploadPath;
  const recorded = new Map<number, CompletedPart>();
  for (const part of progress.parts) {
    const planned = plan[part.partNumber - 1];
    if (planned === undefined || planned.size !== part.size) continue;
    const ok = input.opaqueEtags ? samePath : etagMatchesMd5(part.etag, partMd5s[part.partNumber - 1]!);
    if (ok) recorded.set(part.partNumber, part);
  }
  const server = await listServerParts(input);
  if (server === null) return recorded;
  const done = new Map<number, CompletedPart>();
  for (const planned of plan) {
    const s = server.get(planned.partNumber);
    if (s === undefined || s.size !== planned.size) continue;
    const r = recorded.get(planned.partNumber);
    const known = r !== undefined && normalizeEtag(r.etag) === normalizeEtag(s.etag);
    if (known || (!input.opaqueEtags && etagMatchesMd5(s.etag, partMd5s[planned.partNumber - 1]!))) {
      const part = { partNumber: planned.partNumber, etag: s.etag, size: s.size };
      if (r === undefined) await input.adopt(part);
      done.set(planned.partNumber, part);
    }
  }
  return done;
}

/** The server's parts, or null when it cannot list them. */
async function listServerParts(input: ReconcileInput): Promise<Map<number, { etag: string; size: number }> | null> {
  const parts = new Map<number, { etag: string; size: number }>();
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let res;
    try {
      res = await input.client.send(
        new ListPartsCommand({ Bucket: input.bucket, Key: input.key, UploadId: input.progress.uploadId, PartNumberMarker: marker }),
        { abortSignal: input.signal },
      );
    } catch (err) {
      const s = errorSignals(err);
      if (hasAny(s, UNSUPPORTED) !== undefined || s.status === 405 || s.status === 501) {
        input.logger.debug({ bucket: input.bucket, key: input.key }, 'server does not implement ListParts; trusting recorded parts');
        return null;
      }
      throw err;
    }
    for (const part of res.Parts ?? []) {
      if (part.PartNumber !== undefined && part.ETag !== undefined && part.Size !== undefined) {
        parts.set(part.PartNumber, { etag: part.ETag, size: part.Size });
      }
    }
    if (!res.IsTruncated || res.NextPartNumberMarker === undefined) break;
    marker = res.NextPartNumberMarker;
  }
  return parts;
}
