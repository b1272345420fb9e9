/**
 * The real CLI against s3rver for the signal and reload suites: the environment that points the
 * SDK at s3rver's only key pair (and away from any AWS config on the machine), and a daemon
 * started through bin/tvm-upload.js exactly as systemd starts it. The configuration file comes
 * from daemon-config.ts (daemonConfig + writeDaemonConfig).
 */
import { spawn } from 'node:child_process';
import { BIN, DaemonProcess } from './daemon-process.js';
import { childEnv } from './child-env.js';

export const S3RVER_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_PROFILE: '',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
} as const;

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
