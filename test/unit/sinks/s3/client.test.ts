import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../../../src/config/types.js';
import { ErrorCodes, TvmError } from '../../../../src/errors.js';
import { createS3Client, resolveEndpoint, sdkLogger } from '../../../../src/sinks/s3/client.js';
import { createCloudWatchClient } from '../../../../src/sinks/cloudwatch/client.js';
import { tempDir } from '../fixtures.js';

const aws: S3Config = {
  bucket: 'logs-bucket',
  region: 'us-west-2',
  profile: null,
  endpoint: null,
  forcePathStyle: false,
  conditionalWrites: true,
  storageClass: null,
  serverSideEncryption: null,
  kmsKeyId: null,
};
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

class Stop extends Error {
  constructor(readonly url: string, readonly headers: Record<string, string>) {
    super('stopped before the network');
  }
}

/** The URL and headers the client would send, captured before anything leaves the process. */
async function wouldSend(client: S3Client, bucket: string, key: string): Promise<Stop> {
  client.middlewareStack.add(
    () => async (args) => {
      const req = args.request as { protocol: string; hostname: string; port?: number; path: string; headers: Record<string, string> };
      throw new Stop(`${req.protocol}//${req.hostname}${req.port ? `:${req.port}` : ''}${req.path}`, req.headers);
    },
    { step: 'build', priority: 'low', name: 'tvmTestStop' },
  );
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
  } catch (err) {
    if (err instanceof Stop) return err;
    throw err;
  } finally {
    client.destroy();
  }
  throw new Error('request was not intercepted');
}

describe('sinks/s3/client', () => {
  const saved: Record<string, string | undefined> = {};
  const keys = [
    'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_PROFILE',
    'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  ];
  beforeEach(() => {
    for (const k of keys) saved[k] = process.env[k];
  });
  afterEach(() => {
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  it('takes the endpoint from config, then AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL', () => {
    expect(resolveEndpoint({ ...aws, endpoint: 'http://cfg:1' }, { AWS_ENDPOINT_URL_S3: 'http://s3:2', AWS_ENDPOINT_URL: 'http://all:3' })).to.equal('http://cfg:1');
    expect(resolveEndpoint(aws, { AWS_ENDPOINT_URL_S3: 'http://s3:2', AWS_ENDPOINT_URL: 'http://all:3' })).to.equal('http://s3:2');
    expect(resolveEndpoint(aws, { AWS_ENDPOINT_URL: ' http://all:3 ' })).to.equal('http://all:3');
    expect(resolveEndpoint(aws, { AWS_ENDPOINT_URL: '  ' })).to.equal(null);
  });

  it('gives the SDK no retries of its own and turns off checksum trailers', async () => {
    const { client, custom } = createS3Client(aws, {}, { credentials: creds });
    expect(custom).to.equal(false);
    expect(await client.config.maxAttempts()).to.equal(1);
    expect(await client.config.requestChecksumCalculation()).to.equal('WHEN_REQUIRED');
    expect(await client.config.responseChecksumValidation()).to.equal('WHEN_REQUIRED');
    expect(client.config.followRegionRedirects).to.equal(true);
    client.destroy();
  });

  it('addresses AWS buckets virtual-host style in the configured region', async () => {
    const stop = await wouldSend(createS3Client(aws, {}, { credentials: creds }).client, 'logs-bucket', 'a/b.gz');
    expect(stop.url).to.equal('https://logs-bucket.s3.us-west-2.amazonaws.com/a/b.gz');
  });

  it('resolves China regions to amazonaws.com.cn without an explicit endpoint', async () => {
    const stop = await wouldSend(createS3Client({ ...aws, region: 'cn-north-1' }, {}, { credentials: creds }).client, 'logs-bucket', 'k');
    expect(stop.url).to.equal('https://logs-bucket.s3.cn-north-1.amazonaws.com.cn/k');
  });

  it('uses path style for a custom endpoint from config', async () => {
    const s3 = { ...aws, endpoint: 'http://127.0.0.1:4568', forcePathStyle: true };
    const created = createS3Client(s3, {}, { credentials: creds });
    expect(created.custom).to.equal(true);
    expect(created.endpoint).to.equal('http://127.0.0.1:4568');
    const stop = await wouldSend(created.client, 'logs-bucket', 'dir/ü é#%+.log');
    expect(stop.url).to.equal('http://127.0.0.1:4568/logs-bucket/dir/%C3%BC%20%C3%A9%23%25%2B.log');
  });

  it('uses path style for an endpoint from AWS_ENDPOINT_URL even though config defaulted it off', async () => {
    const created = createS3Client(aws, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }, { credentials: creds });
    expect(created.custom).to.equal(true);
    const stop = await wouldSend(created.client, 'logs-bucket', 'k');
    expect(stop.url).to.equal('http://127.0.0.1:9000/logs-bucket/k');
  });

  it('keeps virtual-host style when the config explicitly turned path style off for its own endpoint', async () => {
    const created = createS3Client({ ...aws, endpoint: 'http://minio.local:9000', forcePathStyle: false }, {}, { credentials: creds });
    const stop = await wouldSend(created.client, 'logs-bucket', 'k');
    expect(stop.url).to.equal('http://logs-bucket.minio.local:9000/k');
  });

  it('reads credentials of s3.profile from the shared files', async () => {
    const t = tempDir();
    try {
      const credFile = join(t.dir, 'credentials');
      writeFileSync(credFile, '[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = d\n\n[vehicle]\naws_access_key_id = PROFILEKEY\naws_secret_access_key = p\n');
      writeFileSync(join(t.dir, 'config'), '');
      process.env.AWS_SHARED_CREDENTIALS_FILE = credFile;
      process.env.AWS_CONFIG_FILE = join(t.dir, 'config');
      for (const k of ['AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']) delete process.env[k];
      const { client } = createS3Client({ ...aws, profile: 'vehicle' });
      const c = await client.config.credentials();
      expect(c.accessKeyId).to.equal('PROFILEKEY');
      client.destroy();
      const plain = createS3Client(aws).client;
      expect((await plain.config.credentials()).accessKeyId).to.equal('DEFAULTKEY');
      plain.destroy();
    } finally {
      t.cleanup();
    }
  });

  it("leaves the SDK's Node version warning alone (the daemon reports runtime support itself)", () => {
    delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    createS3Client(aws, {}, { credentials: creds }).client.destroy();
    createCloudWatchClient(aws, {}, { credentials: creds }).client.destroy();
    expect(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).to.equal(undefined);
  });

  it('loads AWS_CA_BUNDLE and reports an unreadable one as a configuration error', () => {
    const t = tempDir();
    try {
      const pem = join(t.dir, 'ca.pem');
      writeFileSync(pem, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
      createS3Client(aws, { AWS_CA_BUNDLE: pem }, { credentials: creds }).client.destroy();
      try {
        createS3Client(aws, { AWS_CA_BUNDLE: join(t.dir, 'missing.pem') }, { credentials: creds });
        expect.fail('no error');
      } catch (err) {
        expect(err).to.be.instanceOf(TvmError);
        expect((err as TvmError).code).to.equal(ErrorCodes.CONFIG_INVALID);
        expect((err as TvmError).message).to.include('missing.pem');
      }
    } finally {
      t.cleanup();
    }
  });
});

describe('sinks/s3/client SDK diagnostics', () => {
  it('sends SDK warnings to our logger at debug level instead of the console', async () => {
    const seen: unknown[] = [];
    const logger = { debug: (o: unknown) => seen.push(o) };
    const { client } = createS3Client(aws, {}, { credentials: creds, logger: logger as never });
    const original = console.warn;
    let consoleCalls = 0;
    console.warn = () => {
      consoleCalls++;
    };
    try {
      client.config.logger.warn('An error was encountered in a non-retryable streaming request.');
      client.config.logger.error({ detail: 1 });
      client.config.logger.info('ignored');
      client.config.logger.debug('ignored');
      createS3Client(aws, {}, { credentials: creds }).client.config.logger.warn('dropped');
    } finally {
      console.warn = original;
      client.destroy();
    }
    expect(consoleCalls).to.equal(0);
    expect(seen).to.deep.equal([
      { component: 'aws-sdk', sdk: 'An error was encountered in a non-retryable streaming request.' },
      { component: 'aws-sdk', sdk: '{ detail: 1 }' },
    ]);
  });
});

describe('sinks/s3/client SDK logger', () => {
  it('never throws, even for circular objects, and never renders the request input', () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = sdkLogger({ debug: ((o: Record<string, unknown>) => void lines.push(o)) as never });
    const circular: Record<string, unknown> = { name: 'socket' };
    circular.self = circular;
    const err = Object.assign(new Error('We encountered an internal error'), { name: 'InternalError' });
    expect(() => log.error({ clientName: 'S3Client', commandName: 'PutObjectCommand', input: { Body: circular }, error: err })).not.to.throw();
    expect(() => log.warn(circular)).not.to.throw();
    expect(String(lines[0]!.sdk)).to.equal('S3Client PutObjectCommand InternalError: We encountered an internal error');
    expect(String(lines[1]!.sdk)).to.include('[Circular');
    const throwing = sdkLogger({ debug: () => { throw new Error('logger broke'); } });
    expect(() => throwing.error('x')).not.to.throw();
  });
});
