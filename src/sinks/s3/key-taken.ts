/**
 * KEY_TAKEN: the object key already holds bytes other than ours. Raised when a conditional write
 * (`If-None-Match: *`) is refused with 412 Precondition Failed, or when a check before re-sending
 * finds another source's object there. The upload job answers it by recording the key as taken
 * and writing under the next version, so nothing in the bucket is ever replaced.
 */
import { ErrorCodes, TvmError } from '../../errors.js';
import { errorSignals, hasAny } from '../error-chain.js';

const PRECONDITION = new Set(['PreconditionFailed']);

/** `remoteSha256` is the other object's source-sha256 metadata, '' when unknown. */
export function keyTaken(bucket: string, key: string, remoteSha256: string): TvmError {
  return new TvmError(ErrorCodes.KEY_TAKEN, `s3://${bucket}/${key} already holds other content; not overwritten`, {
    retriability: 'retriable',
    details: { bucket, key, remoteSha256 },
    hint: 'the file is written under the next version of its key',
  });
}

export function isPreconditionFailed(err: unknown): boolean {
  const s = errorSignals(err);
  return s.status === 412 || hasAny(s, PRECONDITION) !== undefined;
}

/** Runs a conditional write; a 412 becomes KEY_TAKEN. */
export async function refusedAsTaken<T>(bucket: string, key: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isPreconditionFailed(err)) throw keyTaken(bucket, key, '');
    throw err;
  }
}
