/**
 * The S3 client factory: the only place that constructs an `S3Client`. It decides the endpoint
 * (AWS or a custom S3-compatible store), credentials, the checksum mode, timeouts and the socket
 * pool. It does not upload anything (uploader.ts) and does not retry (retry.ts owns retries).
 *
 * Choices and why:
 * - `maxAttempts: 1`. Our retry policy (sinks/retry.ts) owns retries with full-jitter backoff
 *   across files; a second layer underneath multiplies waits (the reference's 10 × 5 attempts).
 *   Bodies are one-shot file streams too, so an SDK-level retry could not resend them anyway.
 *   A failed part is cheap to redo: multipart progress is persisted per part.
 * - `requestChecksumCalculation: 'WHEN_REQUIRED'` for every endpoint. Since SDK 3.729 the
 *   default (WHEN_SUPPORTED) sends a CRC32 as an `aws-chunked` trailer on streamed bodies;
 *   S3-compatible servers (s3rver, MinIO, Ceph, R2 …) store that framing inside the object. We
 *   send our own precomputed checksums instead: Content-MD5 on every PutObject and UploadPart,
 *   and x-amz-checksum-sha256 on single PUTs. The SDK skips its own calculation whenever an
 *   x-amz-checksum-* header is present, but parts only carry Content-MD5 (the worker hashes
 *   parts with MD5), so WHEN_SUPPORTED would still add a trailer to parts. AWS verifies
 *   Content-MD5 server-side, so the trailer would add framing but no protection; one wire
 *   format for AWS and custom endpoints also means the integration tests exercise what
 *   production sends. The uploader additionally checks returned ETags against our MD5s.
 * - Timeouts: 10 s to connect, 60 s of socket inactivity. No total request timeout: a large
 *   part on a throttled cellular link may legitimately take many minutes.
 * - A keep-alive agent sized for `concurrency × partConcurrency` sockets, so concurrent
 *   transfers never queue behind each other inside the agent.
 * - China regions (`cn-*`) need nothing special: the SDK's endpoint rules resolve
 *   `amazonaws.com.cn` (covered by a unit test).
 */
import { inspect } from 'node:util';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/types.js';
import type { Logger } from '../../telemetry/logger.js';
import { readCaBundle } from '../ca-bundle.js';

export const CONNECT_TIMEOUT_MS = 10_000;
export const SOCKET_IDLE_TIMEOUT_MS = 60_000;

export interface S3ClientOptions {
  /** Sockets per agent; size it as concurrency × partConcurrency (+1 for HEADs). Default 16. */
  maxSockets?: number;
  /** Explicit credentials (tests, or a caller that resolved them itself); default: the AWS chain. */
  credentials?: S3ClientConfig['credentials'];
  /** Where the SDK's own diagnostics go (at debug level); default: nowhere. */
  logger?: Pick<Logger, 'debug'>;
}

/**
 * The SDK prints to the console when it has no logger (e.g. "An error was encountered in a
 * non-retryable streaming request" on every failed PUT). Our errors are classified and logged
 * by the pipeline, so SDK chatter is demoted to debug.
 */
export function sdkLogger(logger: Pick<Logger, 'debug'> | undefined): NonNullable<S3ClientConfig['logger']> {
  // The SDK calls this from inside a failing command, so it must never throw: a throw here would
  // replace the real S3 error (seen: JSON.stringify of a request body's socket, which is circular).
  const sink = (...args: unknown[]): void => {
    try {
      logger?.debug({ component: 'aws-sdk', sdk: args.map(describeSdkArg).join(' ') }, 'aws-sdk');
    } catch {
      /* diagnostics only */
    }
  };
  return { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: sink, error: sink };
}

/** A short, safe rendering of what the SDK logs: never the request input (bodies, sockets). */
function describeSdkArg(a: unknown): string {
  if (typeof a === 'string') return a;
  if (a instanceof Error) return `${a.name}: ${a.message}`;
  if (a && typeof a === 'object') {
    const o = a as { commandName?: unknown; error?: unknown; clientName?: unknown };
    const parts: string[] = [];
    if (typeof o.clientName === 'string') parts.push(o.clientName);
    if (typeof o.commandName === 'string') parts.push(o.commandName);
    if (o.error instanceof Error) parts.push(`${o.error.name}: ${o.error.message}`);
    if (parts.length > 0) return parts.join(' ');
  }
  return inspect(a, { depth: 1, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 200 });
}

export interface CreatedS3Client {
  client: S3Client;
  /** True when talking to a custom (non-AWS) endpoint. */
  custom: boolean;
  /** The custom endpoint URL, or null for AWS. */
  endpoint: string | null;
}

/** The custom endpoint to use: config first, then the SDK's standard environment variables. */
export function resolveEndpoint(s3: S3Config, env: NodeJS.ProcessEnv): string | null {
  const candidates = [s3.endpoint, env.AWS_ENDPOINT_URL_S3, env.AWS_ENDPOINT_URL];
  for (const c of candidates) {
    if (typeof c === 'string' && c.trim() !== '') return c.trim();
  }
  return null;
}

/**
 * Builds the client. `env` is read for the endpoint variables and AWS_CA_BUNDLE; credentials
 * come from the SDK's default chain (env keys, `s3.profile` or AWS_PROFILE from the shared
 * files, SSO, process, web identity, ECS/EC2 metadata) unless `options.credentials` is given.
 */
export function createS3Client(
  s3: S3Config,
  env: NodeJS.ProcessEnv = process.env,
  options: S3ClientOptions = {},
): CreatedS3Client {
  const endpoint = resolveEndpoint(s3, env);
  const custom = endpoint !== null;
  const maxSockets = Math.max(1, Math.floor(options.maxSockets ?? 16));
  const agentOptions = { keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' as const };
  const ca = readCaBundle(env);

  const config: S3ClientConfig = {
    region: s3.region,
    logger: sdkLogger(options.logger),
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: {
      connectionTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: SOCKET_IDLE_TIMEOUT_MS,
      httpAgent: agentOptions,
      httpsAgent: ca === undefined ? agentOptions : { ...agentOptions, ca },
    },
  };
  if (s3.profile !== null) config.profile = s3.profile;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  if (custom) {
    config.endpoint = endpoint;
    // The config layer defaults forcePathStyle to true only when s3.endpoint is set; an endpoint
    // that arrives through AWS_ENDPOINT_URL* is just as custom and needs path style too.
    config.forcePathStyle = s3.forcePathStyle || s3.endpoint === null;
  } else {
    config.forcePathStyle = s3.forcePathStyle;
    // A bucket in another region answers 301; follow it instead of failing every upload.
    config.followRegionRedirects = true;
  }
  return { client: new S3Client(config), custom, endpoint };
}
