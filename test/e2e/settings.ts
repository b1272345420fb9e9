/**
 * What the real-AWS suite is told by its environment, read in one place: whether it runs at all
 * (only when TVM_E2E_BUCKET is set: the suite is opt-in and must never reach an account by
 * accident), the region, optional profile, SSE and storage class, how long to wait for
 * CloudWatch, and TVM_E2E_ENDPOINT, which exists only to test the suite itself against a
 * moto_server (it is never set in CI against AWS). Pure: tests of the suite can feed any env.
 */
import { randomBytes } from 'node:crypto';

export interface E2eSettings {
  readonly bucket: string;
  readonly region: string;
  /** AWS_PROFILE, written into the daemon's `s3.profile`; null = default credential chain. */
  readonly profile: string | null;
  /** Self-test only: an S3 + CloudWatch endpoint (moto_server) replacing AWS. */
  readonly endpoint: string | null;
  /** `s3.server_side_encryption`; null = the bucket's default encryption. */
  readonly sse: 'AES256' | 'aws:kms' | null;
  readonly kmsKeyId: string | null;
  /** `s3.storage_class`; null = the bucket default (STANDARD). */
  readonly storageClass: string | null;
  /** How long to poll CloudWatch for metrics to become visible. */
  readonly metricsWaitMs: number;
  /** Optional file for the daemon's debug log (kept by CI as an artifact). */
  readonly logFile: string | null;
}

export type E2eSetup = { readonly run: true; readonly settings: E2eSettings } | { readonly run: false; readonly reason: string };

/**
 * INTELLIGENT_TIERING by default: S3 reports it back in HeadObject (STANDARD is never reported,
 * so it would prove nothing), it has no minimum storage duration or retrieval fee (STANDARD_IA
 * bills 30 days for objects the suite deletes after minutes), and objects under 128 KiB are
 * simply billed as frequent access.
 */
export const DEFAULT_STORAGE_CLASS = 'INTELLIGENT_TIERING';
export const DEFAULT_METRICS_WAIT_SECONDS = 300;

const text = (v: string | undefined): string | null => (v === undefined || v.trim() === '' ? null : v.trim());

/** Reads the suite's settings; throws when TVM_E2E_BUCKET is set but the rest cannot work. */
export function readE2eSettings(env: NodeJS.ProcessEnv): E2eSetup {
  const bucket = text(env.TVM_E2E_BUCKET);
  if (bucket === null) {
    return { run: false, reason: 'TVM_E2E_BUCKET is not set (the real-AWS suite is opt-in; see test/e2e/README.md)' };
  }
  const region = text(env.TVM_E2E_REGION) ?? text(env.AWS_REGION) ?? text(env.AWS_DEFAULT_REGION);
  if (region === null) {
    throw new Error('TVM_E2E_BUCKET is set but no region is: set TVM_E2E_REGION or AWS_REGION');
  }
  const sse = text(env.TVM_E2E_SSE);
  if (sse !== null && sse !== 'AES256' && sse !== 'aws:kms') {
    throw new Error(`TVM_E2E_SSE must be AES256 or aws:kms, got ${JSON.stringify(sse)}`);
  }
  const kmsKeyId = text(env.TVM_E2E_KMS_KEY_ID);
  if (kmsKeyId !== null && sse !== 'aws:kms') throw new Error('TVM_E2E_KMS_KEY_ID needs TVM_E2E_SSE=aws:kms');
  const cls = text(env.TVM_E2E_STORAGE_CLASS) ?? DEFAULT_STORAGE_CLASS;
  const waitText = text(env.TVM_E2E_METRICS_WAIT_SECONDS);
  const waitSeconds = waitText === null ? DEFAULT_METRICS_WAIT_SECONDS : Number(waitText);
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
    throw new Error(`TVM_E2E_METRICS_WAIT_SECONDS must be a number of seconds, got ${JSON.stringify(waitText)}`);
  }
  return {
    run: true,
    settings: {
      bucket,
      region,
      profile: text(env.AWS_PROFILE),
      endpoint: text(env.TVM_E2E_ENDPOINT),
      sse,
      kmsKeyId,
      storageClass: cls === 'bucket-default' ? null : cls,
      metricsWaitMs: waitSeconds * 1000,
      logFile: text(env.TVM_E2E_LOG),
    },
  };
}

/**
 * The environment the daemon and the verification clients see. Without TVM_E2E_ENDPOINT it is
 * the process environment minus any endpoint override, so the suite really talks to AWS; with
 * it, AWS_ENDPOINT_URL points both S3 and CloudWatch at the self-test server.
 */
export function clientEnv(settings: E2eSettings, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  delete out.AWS_ENDPOINT_URL;
  delete out.AWS_ENDPOINT_URL_S3;
  delete out.AWS_ENDPOINT_URL_CLOUDWATCH;
  if (settings.endpoint !== null) out.AWS_ENDPOINT_URL = settings.endpoint;
  return out;
}

/** `e2e-<UTC timestamp>-<random>`: unique per run, sortable, valid as key prefix and alarm name. */
export function runVehicleId(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z').toLowerCase();
  return `e2e-${stamp}-${randomBytes(4).toString('hex')}`;
}
