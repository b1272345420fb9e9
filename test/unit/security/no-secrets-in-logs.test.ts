// Credentials never reach the log, whatever shape they are logged in: the daemon's logger
// (src/telemetry/logger.ts) writes to a capturing stream, objects carrying credentials are
// logged the ways code and libraries actually produce them, and the secret strings must not
// appear in the output, while the rest of the line (message, context) still does, so a test
// cannot pass by logging nothing.
import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createLogger, type Logger } from '../../../src/telemetry/logger.js';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { classify } from '../../../src/sinks/s3/classify.js';
import { createS3Client } from '../../../src/sinks/s3/client.js';
import { parseConfig } from '../../../src/config/load.js';

/** A fresh, unmistakable secret value per call (assembled at run time: nothing for scanners to find). */
const secret = (label: string): string => `${label}-${randomBytes(12).toString('hex')}-SECRET`;

interface Capture {
  readonly logger: Logger;
  text(): string;
}

function capture(): Capture {
  const lines: string[] = [];
  const logger = createLogger({ level: 'trace', pretty: false, destination: { write: (s: string) => void lines.push(s) } });
  return { logger, text: () => lines.join('') };
}

function expectNoSecrets(out: string, secrets: readonly string[], stillThere: readonly string[]): void {
  const leaked = secrets.filter((s) => out.includes(s));
  expect(leaked, `leaked into the log:\n${out}`).to.deep.equal([]);
  for (const s of stillThere) expect(out, 'the rest of the log line must survive').to.include(s);
}

function awsCredentials(): { accessKeyId: string; secretAccessKey: string; sessionToken: string } {
  return { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: secret('sak'), sessionToken: secret('tok') };
}

describe('no credentials in logs', () => {
  it('redacts SDK-style credential fields at the top level', () => {
    const c = capture();
    const creds = awsCredentials();
    c.logger.info({ ...creds, bucket: 'logs-bucket' }, 'resolved credentials');
    expectNoSecrets(c.text(), Object.values(creds), ['resolved credentials', 'logs-bucket', '[redacted]']);
  });

  it('redacts credentials nested one level down', () => {
    const c = capture();
    const creds = awsCredentials();
    c.logger.info({ credentials: creds, creds: { ...creds } }, 'client configured');
    expectNoSecrets(c.text(), Object.values(creds), ['client configured']);
  });

  it('redacts credentials nested deeper (a client config inside an object)', () => {
    const c = capture();
    const creds = awsCredentials();
    c.logger.info({ client: { config: { region: 'cn-north-1', credentials: creds } }, deep: { a: { b: { secretAccessKey: creds.secretAccessKey } } } }, 'deep');
    expectNoSecrets(c.text(), Object.values(creds), ['deep', 'cn-north-1']);
  });

  it('redacts credentials inside arrays', () => {
    const c = capture();
    const creds = awsCredentials();
    c.logger.info({ providers: [{ name: 'env', ...creds }] }, 'providers');
    expectNoSecrets(c.text(), Object.values(creds), ['providers', 'env']);
  });

  it('redacts the PascalCase shape of an STS/SSO response', () => {
    const c = capture();
    const creds = awsCredentials();
    const sts = { Credentials: { AccessKeyId: creds.accessKeyId, SecretAccessKey: creds.secretAccessKey, SessionToken: creds.sessionToken, Expiration: '2030-01-01T00:00:00Z' } };
    c.logger.debug({ response: sts }, 'assumed role');
    expectNoSecrets(c.text(), Object.values(creds), ['assumed role']);
  });

  it('redacts environment-variable and shared-file spellings', () => {
    const c = capture();
    const creds = awsCredentials();
    c.logger.info(
      {
        env: { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_SESSION_TOKEN: creds.sessionToken, AWS_REGION: 'cn-north-1' },
        profile: { aws_secret_access_key: creds.secretAccessKey, aws_session_token: creds.sessionToken },
      },
      'environment',
    );
    expectNoSecrets(c.text(), Object.values(creds), ['environment', 'cn-north-1']);
  });

  it('redacts an Error whose message is innocent but which carries credentials', () => {
    const c = capture();
    const creds = awsCredentials();
    const err = Object.assign(new Error('could not sign request'), { credentials: creds });
    c.logger.error({ err }, 'upload failed');
    c.logger.error(err);
    expectNoSecrets(c.text(), Object.values(creds), ['upload failed', 'could not sign request']);
  });

  it('redacts credentials on an error further down the cause chain', () => {
    const c = capture();
    const creds = awsCredentials();
    const cause = Object.assign(new Error('provider failed'), { credentials: creds });
    c.logger.error({ err: new TvmError(ErrorCodes.S3_CREDENTIALS, 'credentials rejected', { cause }) }, 'operator needed');
    expectNoSecrets(c.text(), Object.values(creds), ['operator needed', 'credentials rejected']);
  });

  it('redacts credentials put into TvmError details by mistake', () => {
    const c = capture();
    const creds = awsCredentials();
    c.logger.error({ err: new TvmError(ErrorCodes.INTERNAL, 'bug', { details: { bucket: 'b', credentials: creds } }) }, 'internal');
    expectNoSecrets(c.text(), Object.values(creds), ['internal', '"bucket":"b"']);
  });

  it('redacts request headers carrying a signature or a session token', () => {
    const c = capture();
    const auth = `AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20300101/cn-north-1/s3/aws4_request, Signature=${secret('sig')}`;
    const token = secret('hdrtok');
    c.logger.debug({ headers: { authorization: auth, 'x-amz-security-token': token, host: 's3.cn-north-1.amazonaws.com.cn' } }, 'request top');
    c.logger.debug({ headers: { Authorization: auth, 'X-Amz-Security-Token': token } }, 'request capitalised');
    c.logger.debug({ request: { method: 'PUT', headers: { authorization: auth, 'x-amz-security-token': token } } }, 'request nested');
    expectNoSecrets(c.text(), [auth, token], ['request top', 'request capitalised', 'request nested', 's3.cn-north-1.amazonaws.com.cn']);
  });

  it('redacts an AWS SDK-like error with $metadata and the raw request and response attached', () => {
    const c = capture();
    const creds = awsCredentials();
    const err = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403, requestId: 'REQ-123', attempts: 1 },
      $response: { statusCode: 403, headers: { 'x-amz-request-id': 'REQ-123' } },
      $request: { headers: { authorization: `AWS4-HMAC-SHA256 Signature=${creds.secretAccessKey}`, 'x-amz-security-token': creds.sessionToken } },
    });
    c.logger.error({ err }, 'PutObject failed');
    c.logger.error({ err: classify(err, { bucket: 'b', key: 'k' }) }, 'classified');
    expectNoSecrets(c.text(), [creds.secretAccessKey, creds.sessionToken], ['PutObject failed', 'REQ-123', 'classified']);
  });

  it('redacts credentials bound into a child logger', () => {
    const c = capture();
    const creds = awsCredentials();
    c.logger.child({ component: 's3', credentials: creds }).info('child line');
    expectNoSecrets(c.text(), Object.values(creds), ['child line', '"component":"s3"']);
  });

  describe('with real AWS SDK errors', () => {
    let server: http.Server;
    let endpoint: string;

    before(async () => {
      server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.writeHead(403, { 'content-type': 'application/xml', 'x-amz-request-id': 'REQ-403' });
          res.end(req.method === 'HEAD' ? undefined : '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>REQ-403</RequestId></Error>');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('logs a denied PutObject and HeadObject, raw and classified, without the signing secrets', async () => {
      const c = capture();
      const creds = awsCredentials();
      const config = parseConfig(
        [`vehicle_id: v`, 'log_directories: [{path: /logs, source: s}]', `s3: {bucket: logs-bucket, region: cn-north-1, endpoint: "${endpoint}"}`,
          'upload: {schedule: "02:00"}', 'disk: {reserved_gb: 1}'].join('\n'),
      );
      const { client } = createS3Client(config.s3, {}, { credentials: creds, logger: c.logger });
      try {
        for (const command of [new PutObjectCommand({ Bucket: 'logs-bucket', Key: 'v/k.gz', Body: 'hello' }), new HeadObjectCommand({ Bucket: 'logs-bucket', Key: 'v/k.gz' })]) {
          const err = await client.send(command as PutObjectCommand).then(
            () => expect.fail('the server answers 403'),
            (e: unknown) => e,
          );
          c.logger.error({ err }, 'raw sdk error');
          c.logger.error(err as Error);
          const classified = classify(err, { bucket: 'logs-bucket', key: 'v/k.gz', operation: 'PutObject' });
          c.logger.error({ err: classified, code: classified.code, ...classified.details }, classified.message);
        }
      } finally {
        client.destroy();
      }
      expectNoSecrets(c.text(), [creds.secretAccessKey, creds.sessionToken], ['raw sdk error', 'TVM_ERR_S3_ACCESS_DENIED', 'REQ-403']);
    });
  });
});
