/**
 * Doctor step: the checksum mode the endpoint accepts. The uploader sends its own checksums as
 * headers (Content-MD5, and x-amz-checksum-sha256 on single PUTs) and never the SDK's aws-chunked
 * CRC32 trailer, which some S3-compatible servers store inside the object (sinks/s3/client.ts).
 * This step sends a probe exactly that way, reads it back and compares the bytes; then sends one
 * with a wrong Content-MD5 to learn whether the endpoint verifies it (AWS does; moto does not;
 * then only the uploader's ETag check guards against corruption, which is reported, not failed).
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { errorSignals, hasAny } from '../sinks/error-chain.js';
import { deleteQuietly, probeKey, s3Failure, signal } from './s3-bucket.js';
import { fail, pass, type DoctorContext, type DoctorStep } from './step.js';

const BAD_DIGEST = new Set(['BadDigest', 'InvalidDigest', 'XAmzContentChecksumMismatch', 'InvalidRequest']);

export const checksumStep: DoctorStep = {
  id: 's3-checksum',
  title: 'S3 checksum mode',
  needs: ['s3-writable'],
  async run(ctx) {
    const bucket = ctx.config.s3.bucket;
    const key = probeKey(ctx, 'checksum');
    // 64 KiB: large enough that a streamed-trailer framing would show in the stored size.
    const body = Buffer.alloc(64 * 1024, `tvm-upload doctor checksum probe ${ctx.nonce}\n`);
    const md5 = createHash('md5').update(body).digest('base64');
    const sha256 = createHash('sha256').update(body).digest('base64');
    try {
      try {
        await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentMD5: md5, ChecksumSHA256: sha256 }), signal(ctx));
      } catch (err) {
        const out = s3Failure(ctx, 'PutObject with Content-MD5 and x-amz-checksum-sha256', key, err);
        return fail(out.detail, 'this endpoint refuses the checksum headers the uploader sends: use an endpoint that supports x-amz-checksum-sha256 (AWS, recent MinIO/Ceph)');
      }
      let stored: Buffer;
      try {
        const got = await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), signal(ctx));
        stored = Buffer.from(await got.Body!.transformToByteArray());
      } catch (err) {
        return s3Failure(ctx, 'GetObject', key, err);
      }
      if (!stored.equals(body)) {
        return fail(
          `the endpoint stored ${stored.length} bytes for a ${body.length}-byte body sent with checksum headers: objects would not match their logs`,
          'this endpoint rewrites bodies; do not use it (or report the endpoint and its version)',
        );
      }
      const verifies = await verifiesContentMd5(ctx, key, body);
      return pass(
        `Content-MD5 + x-amz-checksum-sha256 accepted, body stored byte for byte; ${verifies ? 'the endpoint verifies Content-MD5' : 'the endpoint does not verify Content-MD5 (the uploader\'s ETag check still catches corruption)'}`,
      );
    } finally {
      await deleteQuietly(ctx, key);
    }
  },
};

/** Sends `body` under a wrong Content-MD5: true when the endpoint refuses it. */
async function verifiesContentMd5(ctx: DoctorContext, key: string, body: Buffer): Promise<boolean> {
  const wrong = createHash('md5').update('not the body').digest('base64');
  try {
    await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.config.s3.bucket, Key: key, Body: body, ContentMD5: wrong }), signal(ctx));
    return false;
  } catch (err) {
    const s = errorSignals(err);
    return s.status === 400 || hasAny(s, BAD_DIGEST) !== undefined;
  }
}
