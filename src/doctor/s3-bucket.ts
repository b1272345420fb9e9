/**
 * Doctor steps for the bucket: reachable (a ListObjectsV2 under the vehicle's own prefix, the
 * one listing the IAM policy grants; explained by the same healthcheck as
 * `check-config --probe`), and writable (put, head and delete one small probe object under the
 * vehicle's own prefix, where the IAM policy lets the daemon write). The probe object lives
 * under `<vehicle_id>/.tvm-upload-doctor/` and is always deleted; a failed delete is reported
 * with the key left behind.
 */
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { errorSignals } from '../sinks/error-chain.js';
import { classify } from '../sinks/s3/classify.js';
import { probeBucket } from '../sinks/s3/healthcheck.js';
import { fail, pass, type DoctorContext, type DoctorStep, type StepOutcome } from './step.js';

/** The folder under the vehicle prefix that doctor's probe objects use (docs/iam-policy.json). */
export const PROBE_FOLDER = '.tvm-upload-doctor';

export function probeKey(ctx: DoctorContext, what: string): string {
  return `${ctx.config.vehicleId}/${PROBE_FOLDER}/${what}-${ctx.nonce}.txt`;
}

export const signal = (ctx: DoctorContext): { abortSignal: AbortSignal } => ({ abortSignal: AbortSignal.timeout(ctx.timeoutMs) });

/** A failed S3 call as a step outcome: the catalog's sentence and hint, naming the operation. */
export function s3Failure(ctx: DoctorContext, operation: string, key: string, err: unknown, extra = ''): StepOutcome {
  const e = classify(err, { bucket: ctx.config.s3.bucket, key, operation });
  return fail(`${operation} of s3://${ctx.config.s3.bucket}/${key} failed: ${e.message}${extra}`, e.hint ?? `see ${e.code} in docs/ERRORS.md`);
}

export const bucketReachableStep: DoctorStep = {
  id: 's3-reachable',
  title: 'S3 bucket reachable',
  needs: ['credentials'],
  async run(ctx) {
    const r = await probeBucket(ctx.s3, ctx.config.s3.bucket, { where: ctx.s3Where, prefix: `${ctx.config.vehicleId}/`, signal: AbortSignal.timeout(ctx.timeoutMs) });
    if (r.ok) return pass(`s3://${ctx.config.s3.bucket} at ${ctx.s3Where} answers`);
    return fail(r.error.message, r.error.hint ?? `see ${r.error.code} in docs/ERRORS.md`);
  },
};

export const bucketWritableStep: DoctorStep = {
  id: 's3-writable',
  title: 'S3 bucket writable',
  needs: ['s3-reachable'],
  async run(ctx) {
    const key = probeKey(ctx, 'write');
    const body = Buffer.from(`tvm-upload doctor write probe for ${ctx.config.vehicleId} at ${new Date(ctx.now()).toISOString()}\n`);
    const bucket = ctx.config.s3.bucket;
    try {
      await ctx.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentMD5: createHash('md5').update(body).digest('base64'), ContentType: 'text/plain' }),
        signal(ctx),
      );
    } catch (err) {
      return s3Failure(ctx, 'PutObject', key, err);
    }
    try {
      const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), signal(ctx));
      if (head.ContentLength !== body.length) {
        await deleteQuietly(ctx, key);
        return fail(`HeadObject of the probe says ${head.ContentLength} bytes, ${body.length} were written`, 'the endpoint does not store objects as sent; check s3.endpoint');
      }
    } catch (err) {
      await deleteQuietly(ctx, key);
      return s3Failure(ctx, 'HeadObject', key, err);
    }
    try {
      await ctx.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), signal(ctx));
    } catch (err) {
      const left = s3Failure(ctx, 'DeleteObject', key, err, '; the probe object is left in the bucket');
      if (errorSignals(err).status !== 403) return left;
      return fail(left.detail, `allow s3:DeleteObject on arn:aws:s3:::${bucket}/${ctx.config.vehicleId}/${PROBE_FOLDER}/* (docs/iam-policy.json), then delete the object`);
    }
    return pass(`put, head and delete of s3://${bucket}/${key} succeeded`);
  },
};

/** Best-effort clean-up after an earlier failure; the failure already reported matters more. */
export async function deleteQuietly(ctx: DoctorContext, key: string): Promise<void> {
  try {
    await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.config.s3.bucket, Key: key }), signal(ctx));
  } catch {
    // The failure that led here is what the step reports.
  }
}
