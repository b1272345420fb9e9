/**
 * The real CLI against s3rver for the signal and reload suites: the environment that points the
 * SDK at s3rver's only key pair (and away from any AWS config on the machine), a configuration
 * file writer, and a daemon started through bin/tvm-upload.js exactly as systemd starts it.
 */
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { BIN, DaemonProcess } from './daemon-process.js';
import { childEnv } from './child-env.js';

export const S3RVER_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_PROFILE: '',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
} as const;

export interface CliConfig {
  readonly dir: string;
  readonly endpoint: string;
  readonly bucket: string;
  /** YAML lines of `log_directories:` entries (each "  - path: …"). */
  readonly directories: readonly string[];
  /** Extra lines inside `upload:` (indented by two spaces). */
  readonly upload?: readonly string[];
  readonly vehicleId?: string;
}

export function writeCliConfig(file: string, c: CliConfig): void {
  // Replaced atomically (written beside it, then renamed), as configuration management does: a
  // reload signalled while the file is rewritten must read the old or the new one, never half.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(
    tmp,
    `vehicle_id: ${c.vehicleId ?? 'cli-proc'}
log_directories:
${c.directories.join('\n')}
s3: {bucket: ${c.bucket}, region: us-east-1, endpoint: "${c.endpoint}"}
upload:
  file_stable_seconds: 0.5
${(c.upload ?? ['  schedule: {mode: daily, daily_time: "03:00"}']).join('\n')}
deletion: {after_upload: {enabled: false}, age_based: {enabled: false}}
disk: {reserved_gb: 1}
monitoring: {cloudwatch_enabled: false, http: {listen: "127.0.0.1:0"}}
state_dir: ${c.dir}/state
`,
  );
  renameSync(tmp, file);
}

/** `tvm-upload run --config <file>` through bin/, the way the systemd unit runs it. */
export function startBin(config: string, extraEnv: NodeJS.ProcessEnv = {}): DaemonProcess {
  const child = spawn(process.execPath, [BIN, 'run', '--config', config], {
    env: childEnv({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...S3RVER_ENV, ...extraEnv }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new DaemonProcess(child);
}

/** afterEach of the CLI suites: a daemon a failed test left running is killed (never left behind). */
export async function killIfRunning(d: DaemonProcess | null): Promise<void> {
  if (d === null || d.child.exitCode !== null) return;
  d.kill('SIGKILL');
  await d.exited;
}
