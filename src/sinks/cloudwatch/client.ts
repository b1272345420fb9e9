/**
 * The CloudWatch client factory: the only place that constructs a `CloudWatchClient`. It picks
 * region, profile and endpoint by the same rules as the S3 client, and sets timeouts. It sends
 * nothing itself (metrics-publisher.ts, alarms.ts) and does not own retries (the publisher does).
 *
 * Choices and why:
 * - Endpoint: CloudWatch and S3 endpoints differ, so `s3.endpoint` is not used.
 *   `AWS_ENDPOINT_URL_CLOUDWATCH`, then `AWS_ENDPOINT_URL` (the variable the reference used for
 *   both clients) select a custom endpoint (moto, LocalStack); otherwise the SDK resolves AWS's,
 *   including `amazonaws.com.cn` for `cn-*` regions.
 * - `disableRequestCompression` on custom endpoints only. The client (3.1164 and later) gzips PutMetricData
 *   bodies above 10 KiB; CloudWatch accepts that (and it saves cellular bandwidth), moto cannot
 *   read it and answers 500.
 * - `maxAttempts: 2`: one quick SDK retry absorbs a dropped keep-alive socket; the publisher's
 *   full-jitter backoff handles everything longer, and the outbox keeps the data meanwhile.
 * - Timeouts: 5 s to connect, 30 s per request. A metrics request is small; a hung one must not
 *   hold the outbox back.
 * - AWS_CA_BUNDLE is loaded into the HTTPS agent as the S3 client does (the JS SDK ignores it).
 */
import { CloudWatchClient, type CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch';
import type { S3Config } from '../../config/types.js';
import { readCaBundle } from '../ca-bundle.js';

export const CONNECT_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 30_000;

export interface CloudWatchClientOptions {
  /** Explicit credentials (tests); default: the AWS chain with `s3.profile`. */
  credentials?: CloudWatchClientConfig['credentials'];
}

export interface CreatedCloudWatchClient {
  client: CloudWatchClient;
  /** True when talking to a custom (non-AWS) endpoint. */
  custom: boolean;
  endpoint: string | null;
}

/** The custom CloudWatch endpoint from the environment, or null for AWS. */
export function resolveCloudWatchEndpoint(env: NodeJS.ProcessEnv): string | null {
  for (const c of [env.AWS_ENDPOINT_URL_CLOUDWATCH, env.AWS_ENDPOINT_URL]) {
    if (typeof c === 'string' && c.trim() !== '') return c.trim();
  }
  return null;
}

/**
 * Builds the client. Nothing in `monitoring` affects the connection, so only the S3 section
 * (region, profile) and the environment are read.
 */
export function createCloudWatchClient(
  s3: Pick<S3Config, 'region' | 'profile'>,
  env: NodeJS.ProcessEnv = process.env,
  options: CloudWatchClientOptions = {},
): CreatedCloudWatchClient {
  const endpoint = resolveCloudWatchEndpoint(env);
  const custom = endpoint !== null;
  const ca = readCaBundle(env);
  const config: CloudWatchClientConfig = {
    region: s3.region,
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: CONNECT_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      ...(ca === undefined ? {} : { httpsAgent: { keepAlive: true, ca } }),
    },
  };
  if (s3.profile !== null) config.profile = s3.profile;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  if (custom) {
    config.endpoint = endpoint;
    config.disableRequestCompression = true;
  }
  return { client: new CloudWatchClient(config), custom, endpoint };
}
