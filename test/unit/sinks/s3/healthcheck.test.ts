import { expect } from 'chai';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { AwsStub } from 'aws-sdk-client-mock';
import { ErrorCodes, type ErrorCode } from '../../../../src/errors.js';
import { probeBucket } from '../../../../src/sinks/s3/healthcheck.js';
import { s3Error, sysError, useS3Mock } from '../fixtures.js';

describe('sinks/s3/healthcheck probeBucket', () => {
  let client: S3Client;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let mock: AwsStub<any, any, any>;
  useS3Mock((m) => ({ client, mock } = m));

  it('is ok when listing the date folders under the vehicle prefix succeeds (what the least-privilege policy allows)', async () => {
    mock.on(ListObjectsV2Command).resolves({});
    expect(await probeBucket(client, 'logs', { prefix: 'vehicle-1/' })).to.deep.equal({ ok: true });
    expect(mock.commandCalls(ListObjectsV2Command)[0]!.args[0].input).to.deep.equal({ Bucket: 'logs', Prefix: 'vehicle-1/', Delimiter: '/' });
  });

  const cases: Array<[string, () => Error, ErrorCode, RegExp, RegExp]> = [
    ['a missing bucket (404)', () => s3Error('NotFound', 404), ErrorCodes.S3_NO_SUCH_BUCKET, /"logs" does not exist at http:\/\/s3\.local/, /create the bucket/],
    ['a refused request (403)', () => s3Error('Forbidden', 403), ErrorCodes.S3_ACCESS_DENIED, /access to bucket "logs".*refused/, /credentials.*s3:ListBucket/],
    ['a bucket in another region (301)', () => s3Error('PermanentRedirect', 301), ErrorCodes.S3_REJECTED, /"logs".*another region/, /s3\.region/],
    ['unreachable endpoint', () => sysError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), ErrorCodes.S3_TRANSIENT, /cannot reach bucket "logs"/, /network, s3\.endpoint/],
    [
      'no credentials at all',
      () => Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      ErrorCodes.S3_CREDENTIALS,
      /cannot reach bucket "logs"/,
      /AWS_PROFILE/,
    ],
    ['an unknown 4xx', () => s3Error('InvalidArgument', 400), ErrorCodes.S3_REJECTED, /another region/, /s3\.region/],
    ['an unexpected error', () => new TypeError('boom'), ErrorCodes.INTERNAL, /cannot reach bucket "logs".*boom/, /report/],
  ];
  for (const [what, make, code, message, hint] of cases) {
    it(`explains ${what} naming the bucket and what to do`, async () => {
      mock.on(ListObjectsV2Command).rejects(make());
      const r = await probeBucket(client, 'logs', { where: 'http://s3.local' });
      expect(r.ok).to.equal(false);
      if (r.ok) return;
      expect(r.error.code).to.equal(code);
      expect(r.error.message).to.match(message);
      expect(r.error.hint).to.match(hint);
      expect(r.error.details.bucket).to.equal('logs');
    });
  }

  it('omits the location when none is given', async () => {
    mock.on(ListObjectsV2Command).rejects(s3Error('NotFound', 404));
    const r = await probeBucket(client, 'logs');
    expect(r.ok ? '' : r.error.message).to.equal('bucket "logs" does not exist');
  });
});
