/**
 * The S3 healthcheck behind `tvm-upload check-config --probe`: one ListObjectsV2 of the date
 * folders under the vehicle's prefix, which tells the operator, in one sentence naming the bucket,
 * whether uploads can work and what to fix if not. Listing under the prefix (not HeadBucket) is
 * what the least-privilege policy allows: s3:ListBucket only with s3:prefix = "<vehicle_id>/*".
 * A 403 cannot always tell bad credentials from a denied policy; the message says so.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { ErrorCodes, TvmError } from '../../errors.js';
import { errorSignals } from '../error-chain.js';
import { classify } from './classify.js';

export type ProbeResult = { ok: true } | { ok: false; error: TvmError };

export interface ProbeOptions {
  /** Shown in messages: the endpoint URL or "AWS <region>". */
  readonly where?: string;
  readonly signal?: AbortSignal;
  /** The vehicle's key prefix (`<vehicle_id>/`), the only one its policy may list. */
  readonly prefix?: string;
}

export async function probeBucket(client: Pick<S3Client, 'send'>, bucket: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  try {
    // Delimiter '/' answers with the date folders only: a small reply whatever the object count
    // (and no MaxKeys: s3rver answers a truncated listing with 500).
    await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: options.prefix ?? '', Delimiter: '/' }), { abortSignal: options.signal });
    return { ok: true };
  } catch (err) {
    return { ok: false, error: explain(err, bucket, options.where) };
  }
}

function explain(err: unknown, bucket: string, where: string | undefined): TvmError {
  const at = where === undefined ? '' : ` at ${where}`;
  const details = { bucket, ...(where === undefined ? {} : { endpoint: where }) };
  const status = errorSignals(err).status;
  if (status === 404) {
    return new TvmError(ErrorCodes.S3_NO_SUCH_BUCKET, `bucket "${bucket}" does not exist${at}`, {
      cause: err,
      retriability: 'operator',
      details,
      hint: 'create the bucket, or fix s3.bucket / s3.region / s3.endpoint',
    });
  }
  if (status === 403) {
    return new TvmError(ErrorCodes.S3_ACCESS_DENIED, `access to bucket "${bucket}"${at} was refused (403)`, {
      cause: err,
      retriability: 'operator',
      details,
      hint:
        'check the credentials in use (s3.profile, AWS_PROFILE, AWS_ACCESS_KEY_ID) and that their IAM policy allows ' +
        's3:ListBucket on the bucket for the vehicle\'s prefix (docs/iam-policy.json; uploads need s3:PutObject)',
    });
  }
  if (status === 301 || status === 400) {
    return new TvmError(ErrorCodes.S3_REJECTED, `bucket "${bucket}"${at} answered ${status}: it probably lives in another region`, {
      cause: err,
      retriability: 'operator',
      details,
      hint: 'set s3.region to the region the bucket was created in',
    });
  }
  const c = classify(err, { bucket, operation: 'ListObjectsV2' });
  const extra =
    c.code === ErrorCodes.S3_TRANSIENT
      ? 'check the network, s3.endpoint and s3.region'
      : c.code === ErrorCodes.S3_CREDENTIALS
        ? 'check s3.profile / AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY'
        : (c.hint ?? 'see the error code');
  return new TvmError(c.code, `cannot reach bucket "${bucket}"${at}: ${c.message}`, {
    cause: err,
    retriability: c.retriability,
    details: { ...c.details, ...details },
    hint: extra,
  });
}
