import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCloudWatchClient, resolveCloudWatchEndpoint } from '../../../../src/sinks/cloudwatch/client.js';
import { ErrorCodes, TvmError } from '../../../../src/errors.js';
import { tempDir, removeDir } from '../../../support/temp-dir.js';

const s3 = { region: 'eu-west-1', profile: null };
const creds = { credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };

async function resolved<T>(v: unknown): Promise<T> {
  return (typeof v === 'function' ? await (v as () => Promise<T>)() : v) as T;
}

describe('cloudwatch/client', () => {
  it('prefers AWS_ENDPOINT_URL_CLOUDWATCH over AWS_ENDPOINT_URL and ignores blanks', () => {
    expect(resolveCloudWatchEndpoint({ AWS_ENDPOINT_URL_CLOUDWATCH: ' http://cw:1 ', AWS_ENDPOINT_URL: 'http://all:2' })).to.equal('http://cw:1');
    expect(resolveCloudWatchEndpoint({ AWS_ENDPOINT_URL_CLOUDWATCH: '  ', AWS_ENDPOINT_URL: 'http://all:2' })).to.equal('http://all:2');
    expect(resolveCloudWatchEndpoint({})).to.equal(null);
  });

  it('uses a custom endpoint with request compression off (moto cannot read gzipped bodies)', async () => {
    const { client, custom, endpoint } = createCloudWatchClient(s3, { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }, creds);
    try {
      expect(custom).to.equal(true);
      expect(endpoint).to.equal('http://127.0.0.1:4566');
      expect(await resolved<boolean>(client.config.disableRequestCompression)).to.equal(true);
      const ep = await client.config.endpoint!();
      expect(ep.hostname).to.equal('127.0.0.1');
      expect(ep.port).to.equal(4566);
      expect(await client.config.region()).to.equal('eu-west-1');
      expect(await client.config.maxAttempts()).to.equal(2);
    } finally {
      client.destroy();
    }
  });

  it('talks to AWS with compression on when no endpoint variable is set, never using s3.endpoint', async () => {
    const { client, custom, endpoint } = createCloudWatchClient({ region: 'cn-north-1', profile: 'fleet' }, {}, creds);
    try {
      expect(custom).to.equal(false);
      expect(endpoint).to.equal(null);
      expect(await resolved<boolean>(client.config.disableRequestCompression)).to.equal(false);
      expect(client.config.profile).to.equal('fleet');
      const ep = client.config.endpointProvider({ Region: 'cn-north-1', UseFIPS: false, UseDualStack: false });
      expect(ep.url.hostname).to.equal('monitoring.cn-north-1.amazonaws.com.cn');
    } finally {
      client.destroy();
    }
  });

  it('loads AWS_CA_BUNDLE and fails clearly when it cannot be read', () => {
    const dir = tempDir('tvm-cw-ca-');
    try {
      const ca = join(dir, 'ca.pem');
      writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
      createCloudWatchClient(s3, { AWS_CA_BUNDLE: ca }, creds).client.destroy();
      let err: unknown;
      try {
        createCloudWatchClient(s3, { AWS_CA_BUNDLE: join(dir, 'missing.pem') }, creds);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(TvmError);
      expect((err as TvmError).code).to.equal(ErrorCodes.CONFIG_INVALID);
      expect((err as TvmError).message).to.contain('missing.pem');
    } finally {
      removeDir(dir);
    }
  });
});
