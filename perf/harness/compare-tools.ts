/**
 * What a user would run instead, on the same data and the same server: `rclone copy --transfers
 * 16` and `aws s3 cp --recursive`, both uploading the raw bytes. A tool that is not installed is
 * reported as skipped with the reason; a tool that fails is reported as failed with its last
 * output lines. CPU comes from the shell's `times` (the tool and all its children, exact), peak
 * memory from sampling the process tree.
 *
 * Traps handled here: Debian's rclone 1.60 fails when AWS_CA_BUNDLE is set (it is unset for it);
 * awscli v1 and recent botocore send CRC32 checksums as aws-chunked trailers by default, which
 * s3rver would store inside the objects (`when_required` turns that off).
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RssSampler, round } from './proc-stats.js';
import { SERVER_CREDENTIALS } from './server-process.js';

export type ToolName = 'rclone' | 'awscli-v2' | 'awscli-v1';

export interface ToolProbe {
  readonly tool: ToolName;
  readonly version: string | null;
  /** Why the tool is not run, or null. */
  readonly skipReason: string | null;
}

export interface ToolRun {
  readonly code: number | null;
  readonly wallS: number;
  readonly cpu: { user: number; sys: number; total: number };
  readonly peakRssMb: number;
  readonly output: string;
}

function capture(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => resolve({ code: null, output: err.message }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The environment minus AWS_CA_BUNDLE (rclone 1.60 trap) and any profile selection. */
function withoutCaBundle(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.AWS_CA_BUNDLE;
  delete env.AWS_PROFILE;
  delete env.AWS_DEFAULT_PROFILE;
  return env;
}

/** Which comparison tools this machine has. awscli v1 is reported but only run as extra info. */
export async function probeTools(): Promise<ToolProbe[]> {
  const rclone = await capture('rclone', ['version'], withoutCaBundle());
  const aws = await capture('aws', ['--version']);
  const awsVersion = aws.code === 0 ? aws.output.trim().split(/\s+/)[0] ?? null : null;
  const isV2 = awsVersion?.startsWith('aws-cli/2.') ?? false;
  return [
    {
      tool: 'rclone',
      version: rclone.code === 0 ? rclone.output.split('\n')[0]?.trim() ?? null : null,
      skipReason: rclone.code === 0 ? null : 'rclone is not installed (Debian: apt-get install rclone)',
    },
    {
      tool: 'awscli-v2',
      version: isV2 ? awsVersion : null,
      skipReason: isV2 ? null : awsVersion === null ? 'aws is not installed' : `only ${awsVersion} is on PATH (awscli v2 is not installed)`,
    },
    {
      tool: 'awscli-v1',
      version: awsVersion !== null && awsVersion.startsWith('aws-cli/1.') ? awsVersion : null,
      skipReason: awsVersion !== null && awsVersion.startsWith('aws-cli/1.') ? null : 'awscli v1 is not on PATH',
    },
  ];
}

/** The command line that uploads `srcDir` into `bucket` with the given tool. */
export function toolCommand(tool: ToolName, srcDir: string, endpoint: string, bucket: string, extraArgs: readonly string[] = []): { cmd: string[]; env: NodeJS.ProcessEnv } {
  const creds = { AWS_ACCESS_KEY_ID: SERVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SERVER_CREDENTIALS.secretAccessKey };
  if (tool === 'rclone') {
    return {
      cmd: ['rclone', 'copy', srcDir, `perf:${bucket}`, '--transfers', '16', '--s3-no-check-bucket', '--config', '/dev/null', ...extraArgs],
      env: withoutCaBundle({
        RCLONE_CONFIG_PERF_TYPE: 's3',
        RCLONE_CONFIG_PERF_PROVIDER: 'Other',
        RCLONE_CONFIG_PERF_ENDPOINT: endpoint,
        RCLONE_CONFIG_PERF_REGION: 'us-east-1',
        RCLONE_CONFIG_PERF_ACCESS_KEY_ID: creds.AWS_ACCESS_KEY_ID,
        RCLONE_CONFIG_PERF_SECRET_ACCESS_KEY: creds.AWS_SECRET_ACCESS_KEY,
      }),
    };
  }
  return {
    cmd: ['aws', 's3', 'cp', srcDir, `s3://${bucket}/`, '--recursive', '--only-show-errors', '--endpoint-url', endpoint, ...extraArgs],
    env: withoutCaBundle({
      ...creds,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
      AWS_CONFIG_FILE: '/nonexistent',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
    }),
  };
}

/** Parses the children line of bash's `times` ("0m6.800s 0m1.200s"). */
export function parseTimes(text: string): { user: number; sys: number } {
  const lines = text.trim().split('\n');
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[1] ?? '');
  if (!m) throw new Error(`unparseable times output: ${text}`);
  return { user: Number(m[1]) * 60 + Number(m[2]), sys: Number(m[3]) * 60 + Number(m[4]) };
}

/** Runs one upload with the tool under `bash -c '…; times'`, measuring wall, CPU and memory. */
export async function runTool(tool: ToolName, srcDir: string, endpoint: string, bucket: string, workDir: string, extraArgs: readonly string[] = []): Promise<ToolRun> {
  const { cmd, env } = toolCommand(tool, srcDir, endpoint, bucket, extraArgs);
  const timesFile = join(workDir, `${tool}.times`);
  const script = '"$@"; rc=$?; times > "$PERF_TIMES_FILE"; exit $rc';
  const started = performance.now();
  const child = spawn('bash', ['-c', script, 'bash', ...cmd], { env: { ...env, PERF_TIMES_FILE: timesFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  const sampler = new RssSampler(child.pid!, { intervalMs: 100, tree: true, descendantsOnly: true }).start();
  let output = '';
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  const wallS = (performance.now() - started) / 1000;
  const mem = sampler.stop();
  let cpu = { user: 0, sys: 0 };
  try {
    cpu = parseTimes(readFileSync(timesFile, 'utf8'));
    rmSync(timesFile, { force: true });
  } catch (err) {
    output += `\n(no CPU figures: ${(err as Error).message})`;
  }
  return {
    code,
    wallS: round(wallS, 2),
    cpu: { user: round(cpu.user), sys: round(cpu.sys), total: round(cpu.user + cpu.sys) },
    peakRssMb: mem.peakRssMb,
    output,
  };
}
