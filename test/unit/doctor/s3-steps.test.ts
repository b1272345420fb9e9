import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { bucketReachableStep, bucketWritableStep } from '../../../src/doctor/s3-bucket.js';
import { checksumStep } from '../../../src/doctor/s3-checksum.js';
import type { DoctorContext } from '../../../src/doctor/step.js';
import { awsError, context, fakeSend } from './helpers.js';

const s3 = (f: ReturnType<typeof fakeSend>) => f as unknown as DoctorContext['s3'];
const body = (bytes: Uint8Array) => ({ Body: { transformToByteArray: async () => bytes } });

describe('doctor/S3 bucket steps', () => {
  it('reachable: passes when a listing under the vehicle prefix answers, naming bucket and endpoint', async () => {
    const f = fakeSend();
    expect(await bucketReachableStep.run(context({ s3: s3(f) }))).to.deep.equal({ status: 'pass', detail: 's3://tvm-bucket at AWS eu-west-1 answers' });
    expect(f.sent.map((s) => [s.name, s.input.Prefix])).to.deep.equal([['ListObjectsV2', 'car-7/']]);
  });

  it('reachable: a missing bucket fails with the healthcheck sentence and fix', async () => {
    const f = fakeSend({ ListObjectsV2: () => { throw awsError('NoSuchBucket', 404); } });
    const r = await bucketReachableStep.run(context({ s3: s3(f) }));
    expect(r).to.deep.equal({ status: 'fail', detail: 'bucket "tvm-bucket" does not exist at AWS eu-west-1', fix: 'create the bucket, or fix s3.bucket / s3.region / s3.endpoint' });
  });

  it('writable: puts a probe under the vehicle prefix with its MD5, checks its size, deletes it', async () => {
    let putBody: Buffer = Buffer.alloc(0);
    const f = fakeSend({
      PutObject: (i) => ((putBody = i.Body as Buffer), {}),
      HeadObject: () => ({ ContentLength: putBody.length }),
    });
    const r = await bucketWritableStep.run(context({ s3: s3(f) }));
    expect(r.status).to.equal('pass');
    expect(f.sent.map((s) => s.name)).to.deep.equal(['PutObject', 'HeadObject', 'DeleteObject']);
    const key = 'car-7/.tvm-upload-doctor/write-host-1.txt';
    expect(f.sent.every((s) => s.input.Key === key && s.input.Bucket === 'tvm-bucket')).to.equal(true);
    expect(f.sent[0]!.input.ContentMD5).to.equal(createHash('md5').update(putBody).digest('base64'));
    expect(r.detail).to.equal(`put, head and delete of s3://tvm-bucket/${key} succeeded`);
  });

  it('writable: a refused put fails with the catalog hint and deletes nothing', async () => {
    const f = fakeSend({ PutObject: () => { throw awsError('AccessDenied', 403, 'Access Denied'); } });
    const r = await bucketWritableStep.run(context({ s3: s3(f) }));
    expect(r.status).to.equal('fail');
    expect(r.detail).to.match(/^PutObject of s3:\/\/tvm-bucket\/car-7\/\.tvm-upload-doctor\/write-host-1\.txt failed: /);
    expect(r.fix).to.be.a('string').and.not.equal('');
    expect(f.sent.map((s) => s.name)).to.deep.equal(['PutObject']);
  });

  it('writable: a stored size that differs fails and the probe is still deleted', async () => {
    const f = fakeSend({ HeadObject: () => ({ ContentLength: 1 }) });
    const r = await bucketWritableStep.run(context({ s3: s3(f) }));
    expect(r.status).to.equal('fail');
    expect(r.detail).to.match(/^HeadObject of the probe says 1 bytes, \d+ were written$/);
    expect(f.sent.map((s) => s.name)).to.deep.equal(['PutObject', 'HeadObject', 'DeleteObject']);
  });

  it('writable: a failed head is reported and the probe deleted even if that delete fails too', async () => {
    const f = fakeSend({ HeadObject: () => { throw awsError('Forbidden', 403); }, DeleteObject: () => { throw awsError('AccessDenied', 403); } });
    const r = await bucketWritableStep.run(context({ s3: s3(f) }));
    expect(r.detail).to.match(/^HeadObject of s3:\/\/tvm-bucket\/.* failed: /);
    expect(f.sent.map((s) => s.name)).to.deep.equal(['PutObject', 'HeadObject', 'DeleteObject']);
  });

  it('writable: a delete refused with 403 names the one permission to add and the object left behind', async () => {
    let size = 0;
    const f = fakeSend({ PutObject: (i) => ((size = (i.Body as Buffer).length), {}), HeadObject: () => ({ ContentLength: size }), DeleteObject: () => { throw awsError('AccessDenied', 403); } });
    const r = await bucketWritableStep.run(context({ s3: s3(f) }));
    expect(r.status).to.equal('fail');
    expect(r.detail).to.match(/; the probe object is left in the bucket$/);
    expect(r.fix).to.equal('allow s3:DeleteObject on arn:aws:s3:::tvm-bucket/car-7/.tvm-upload-doctor/* (docs/iam-policy.json), then delete the object');
  });

  it('writable: any other delete failure keeps the catalog hint', async () => {
    let size = 0;
    const f = fakeSend({ PutObject: (i) => ((size = (i.Body as Buffer).length), {}), HeadObject: () => ({ ContentLength: size }), DeleteObject: () => { throw awsError('InternalError', 500); } });
    const r = await bucketWritableStep.run(context({ s3: s3(f) }));
    expect(r.status).to.equal('fail');
    expect(r.fix).not.to.include('s3:DeleteObject');
  });
});

describe('doctor/S3 checksum mode', () => {
  /** An endpoint that stores what it is sent and optionally checks Content-MD5. */
  function endpoint(o: { verifyMd5: boolean; mangle?: (b: Buffer) => Buffer }) {
    let stored: Buffer = Buffer.alloc(0);
    const f = fakeSend({
      PutObject: (i) => {
        const b = i.Body as Buffer;
        if (o.verifyMd5 && i.ContentMD5 !== createHash('md5').update(b).digest('base64')) throw awsError('BadDigest', 400);
        stored = o.mangle ? o.mangle(b) : b;
        return {};
      },
      GetObject: () => body(stored),
    });
    return f;
  }

  it('sends the uploader\'s headers, reads the body back byte for byte, and learns that the endpoint verifies Content-MD5', async () => {
    const f = endpoint({ verifyMd5: true });
    const r = await checksumStep.run(context({ s3: s3(f) }));
    expect(r).to.deep.equal({ status: 'pass', detail: 'Content-MD5 + x-amz-checksum-sha256 accepted, body stored byte for byte; the endpoint verifies Content-MD5' });
    const first = f.sent[0]!.input;
    expect(first.ChecksumSHA256).to.equal(createHash('sha256').update(first.Body as Buffer).digest('base64'));
    expect(f.sent.map((s) => s.name)).to.deep.equal(['PutObject', 'GetObject', 'PutObject', 'DeleteObject']);
  });

  it('passes but says so when the endpoint accepts a wrong Content-MD5', async () => {
    const r = await checksumStep.run(context({ s3: s3(endpoint({ verifyMd5: false })) }));
    expect(r.status).to.equal('pass');
    expect(r.detail).to.include('does not verify Content-MD5');
  });

  it('fails when the endpoint stores something else than was sent (checksum framing kept in the object)', async () => {
    const f = endpoint({ verifyMd5: false, mangle: (b) => Buffer.concat([Buffer.from('10000;chunk-signature\r\n'), b]) });
    const r = await checksumStep.run(context({ s3: s3(f) }));
    expect(r.status).to.equal('fail');
    expect(r.detail).to.match(/^the endpoint stored 65559 bytes for a 65536-byte body/);
    expect(f.sent.at(-1)!.name, 'the probe is deleted').to.equal('DeleteObject');
  });

  it('fails when the endpoint refuses the checksum headers, saying which ones', async () => {
    const f = fakeSend({ PutObject: () => { throw awsError('NotImplemented', 501); } });
    const r = await checksumStep.run(context({ s3: s3(f) }));
    expect(r.status).to.equal('fail');
    expect(r.detail).to.match(/^PutObject with Content-MD5 and x-amz-checksum-sha256 of s3:\/\/tvm-bucket\//);
    expect(r.fix).to.include('x-amz-checksum-sha256');
  });

  it('fails when the probe cannot be read back', async () => {
    const f = fakeSend({ GetObject: () => { throw awsError('AccessDenied', 403); } });
    const r = await checksumStep.run(context({ s3: s3(f) }));
    expect(r.status).to.equal('fail');
    expect(r.detail).to.match(/^GetObject of s3:\/\/tvm-bucket\/car-7\/\.tvm-upload-doctor\/checksum-host-1\.txt failed/);
  });
});
