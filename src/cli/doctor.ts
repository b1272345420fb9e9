/**
 * `tvm-upload doctor --config PATH [--json]`: the first-deployment and release checklist run
 * against the configured real target (docs/MANUAL_TESTING.md). Prints one ✔/✘ line per step
 * with the fix under each ✘, and exits 0 only when no step failed (1 otherwise, 2 for a bad
 * config). It writes only a probe object under the vehicle's prefix (deleted again) and one
 * CloudWatch data point; it never touches the daemon's state or the watched files.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { loadConfig } from '../config/load.js';
import { realDiskUsageIo, type DiskUsageIo } from '../disk/usage.js';
import { realDirectoryProbe, type DirectoryProbe } from '../doctor/directories.js';
import { formatStep, formatSummary, type DoctorJson } from '../doctor/report.js';
import { recordServerDates } from '../doctor/server-date.js';
import { allPassed, runSteps, type DoctorContext } from '../doctor/step.js';
import { doctorSteps } from '../doctor/steps.js';
import { createCloudWatchClient } from '../sinks/cloudwatch/client.js';
import { createS3Client } from '../sinks/s3/client.js';
import { EXIT_OK, EXIT_RUNTIME } from './exit-codes.js';
import { reportError, type CliIo } from './io.js';

/** One network call's deadline: a dead endpoint must not hang the checklist. */
export const DOCTOR_TIMEOUT_MS = 20_000;

/** What tests replace; the command uses the real machine and the SDK's credential chain. */
export interface DoctorDeps {
  readonly credentials?: S3ClientConfig['credentials'];
  readonly now?: () => number;
  readonly directories?: DirectoryProbe;
  readonly diskIo?: DiskUsageIo;
  readonly runningAsRoot?: boolean;
  readonly timeoutMs?: number;
}

export async function doctorCommand(io: CliIo, opts: { config: string; json?: boolean }, deps: DoctorDeps = {}): Promise<number> {
  let config;
  try {
    config = loadConfig(opts.config, { env: io.env });
  } catch (err) {
    return reportError(io, err);
  }
  const now = deps.now ?? Date.now;
  const credentials = deps.credentials === undefined ? {} : { credentials: deps.credentials };
  const s3 = createS3Client(config.s3, io.env, credentials);
  const cloudWatch = config.monitoring.cloudwatchEnabled ? createCloudWatchClient(config.s3, io.env, credentials).client : null;
  try {
    const ctx: DoctorContext = {
      config,
      s3: s3.client,
      s3Where: s3.endpoint ?? `AWS ${config.s3.region}`,
      awsProfile: config.s3.profile ?? io.env.AWS_PROFILE ?? null,
      credentials: () => s3.client.config.credentials(),
      cloudWatch,
      serverDates: recordServerDates(s3.client, now),
      directories: deps.directories ?? realDirectoryProbe,
      diskIo: deps.diskIo ?? realDiskUsageIo,
      runningAsRoot: deps.runningAsRoot ?? process.getuid?.() === 0,
      now,
      nonce: `${hostname().replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40)}-${now().toString(36)}-${randomBytes(3).toString('hex')}`,
      timeoutMs: deps.timeoutMs ?? DOCTOR_TIMEOUT_MS,
    };
    const source = config.sourceFile ?? opts.config;
    if (!opts.json) io.out(`tvm-upload doctor: ${source} (vehicle ${config.vehicleId}, bucket ${config.s3.bucket})`);
    const reports = await runSteps(doctorSteps(config), ctx, (r) => {
      if (!opts.json) io.out(formatStep(r));
    });
    const ok = allPassed(reports);
    if (opts.json) {
      const doc: DoctorJson = { ok, config: source, vehicleId: config.vehicleId, steps: reports };
      io.out(JSON.stringify(doc, null, 2));
    } else {
      io.out(formatSummary(reports));
    }
    return ok ? EXIT_OK : EXIT_RUNTIME;
  } finally {
    s3.client.destroy();
    cloudWatch?.destroy();
  }
}
