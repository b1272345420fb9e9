/**
 * ETag arithmetic for end-to-end integrity. For objects and parts stored without SSE-KMS/SSE-C,
 * S3 (and s3rver, moto, MinIO …) answer with the hex MD5 of the bytes they stored; a completed
 * multipart object's ETag is md5(concat(part MD5s))-N. Comparing these with the MD5s the
 * worker computed while compressing proves the server stored exactly our bytes, even on
 * servers that ignore Content-MD5. With SSE-KMS/DSSE or SSE-C the ETag is opaque, though
 * still 32 hex digits on AWS, so the answer's encryption headers decide whether to check
 * (`etagIsMd5`); ETags of any other shape are accepted unchecked.
 */
import { createHash } from 'node:crypto';
import { ErrorCodes, TvmError } from '../../errors.js';

const PLAIN_MD5 = /^[0-9a-f]{32}$/;
const MULTIPART = /^[0-9a-f]{32}-\d+$/;

/** ETag without quotes (S3 quotes them; some servers do not), lower-cased. */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/"/g, '').toLowerCase();
}

export function md5Base64ToHex(b64: string): string {
  return Buffer.from(b64, 'base64').toString('hex');
}

/** The ETag S3 gives a multipart object made of parts with these (base64) MD5s. */
export function multipartEtag(partMd5sBase64: readonly string[]): string {
  const h = createHash('md5');
  for (const b64 of partMd5sBase64) h.update(Buffer.from(b64, 'base64'));
  return `${h.digest('hex')}-${partMd5sBase64.length}`;
}

/** True when `etag` is a plain MD5 equal to `md5Base64`. */
export function etagMatchesMd5(etag: string, md5Base64: string): boolean {
  return normalizeEtag(etag) === md5Base64ToHex(md5Base64);
}

export interface EncryptionHeaders {
  readonly ServerSideEncryption?: string | undefined;
  readonly SSECustomerAlgorithm?: string | undefined;
}

/** True when an S3 answer's ETag is the MD5 of the stored bytes: no SSE-KMS/DSSE, no SSE-C. */
export function etagIsMd5(res: EncryptionHeaders): boolean {
  return (res.ServerSideEncryption === undefined || res.ServerSideEncryption === 'AES256') && res.SSECustomerAlgorithm === undefined;
}

function mismatch(what: string, got: string, expected: string, details: Record<string, unknown>): TvmError {
  return new TvmError(ErrorCodes.S3_INTEGRITY, `${what}: the server stored different bytes (ETag ${got}, expected ${expected})`, {
    retriability: 'retriable',
    details: { ...details, etag: got, expectedEtag: expected },
    hint: 'retried automatically; if it repeats, an S3-compatible server or proxy is altering uploads (checksum trailers?)',
  });
}

/** Throws S3_INTEGRITY when a single-request ETag (PutObject, UploadPart) is an MD5 other than ours. */
export function verifySingleEtag(etag: string, md5Base64: string, what: string, details: Record<string, unknown>): void {
  const got = normalizeEtag(etag);
  if (!PLAIN_MD5.test(got)) return;
  const expected = md5Base64ToHex(md5Base64);
  if (got !== expected) throw mismatch(what, got, expected, details);
}

/**
 * Throws S3_INTEGRITY when a completed multipart object's ETag proves other bytes. Accepts the
 * S3 form (md5-of-md5s-N) and the whole-object MD5 some servers (s3rver) return.
 */
export function verifyMultipartEtag(
  etag: string,
  partMd5sBase64: readonly string[],
  wholeMd5Base64: string,
  what: string,
  details: Record<string, unknown>,
): void {
  const got = normalizeEtag(etag);
  if (MULTIPART.test(got)) {
    const expected = multipartEtag(partMd5sBase64);
    if (got !== expected) throw mismatch(what, got, expected, details);
  } else if (PLAIN_MD5.test(got)) {
    const expected = md5Base64ToHex(wholeMd5Base64);
    if (got !== expected) throw mismatch(what, got, expected, details);
  }
}
