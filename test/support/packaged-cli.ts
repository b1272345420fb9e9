/**
 * Helpers for the packaging tests: build the `npm pack` tarball once, run an installed
 * `tvm-upload` executable (not the sources), and prove it works end to end: `--version`,
 * `check-config` and a `run` that uploads a file to s3rver, checked by reading the object back.
 * Everything spawns asynchronously: s3rver runs in the test process, a spawnSync would block it.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { childEnv } from './child-env.js';
import { DaemonProcess } from './daemon-process.js';
import { getObject } from './crash-objects.js';
import type { S3TestServer } from './s3-servers.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

export interface Exec {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion without blocking the event loop. */
export function exec(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: childEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Like exec, but a non-zero exit fails the test with the command's output. */
export async function mustExec(cmd: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Exec> {
  const r = await exec(cmd, args, opts);
  expect(r.status, `${cmd} ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`).to.equal(0);
  return r;
}

/** `npm pack` of this checkout into `dir` (prepack builds dist/); returns the tarball's path. */
export async function packTarball(dir: string): Promise<string> {
  await mustExec('npm', ['pack', '--pack-destination', dir, '--silent']);
  const tgz = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
  expect(tgz, 'npm pack wrote one tarball').to.deep.equal([`${PACKAGE.name}-${PACKAGE.version}.tgz`]);
  return join(dir, tgz[0]!);
}

/** The native addons of the package and how prebuild-install names their prebuilt tarballs. */
const ADDONS = [
  { name: 'better-sqlite3', file: 'better_sqlite3.node', runtime: () => `node-v${process.versions.modules}` },
  { name: 'zstd-napi', file: 'binding.node', runtime: () => 'napi-v8' },
];

/**
 * Environment for `npm install` that serves the checkout's own compiled addons as prebuilt
 * binaries (prebuild-install's local mirror, what an offline fleet mirror would serve), instead of
 * compiling sqlite from source again for minutes: the same versions, built for this Node. The
 * install scripts still run and still fall back to node-gyp when a tarball is missing.
 */
export async function localPrebuildsEnv(dir: string): Promise<NodeJS.ProcessEnv> {
  mkdirSync(dir, { recursive: true });
  const env: NodeJS.ProcessEnv = {};
  for (const addon of ADDONS) {
    const pkgDir = join(ROOT, 'node_modules', addon.name);
    if (!existsSync(join(pkgDir, 'build', 'Release', addon.file))) continue;
    const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
    const tarball = `${addon.name}-v${version}-${addon.runtime()}-${process.platform}-${process.arch}.tar.gz`;
    await mustExec('tar', ['-czf', join(dir, tarball), '-C', pkgDir, `build/Release/${addon.file}`]);
    env[`npm_config_${addon.name.replace(/[^a-zA-Z0-9]/g, '_')}_local_prebuilds`] = dir;
  }
  return env;
}

/** Credentials for s3rver only, and nothing from the machine's AWS configuration. */
export const S3RVER_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_PROFILE: '',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
};

/** A configuration that uploads every stable `*.log` under `dir/logs` to `bucket` on s3rver. */
export function writeSmokeConfig(dir: string, server: S3TestServer, bucket: string): string {
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    `vehicle_id: packaged
log_directories:
  - path: ${dir}/logs
    source: ros
    pattern: "*.log"
s3: {bucket: ${bucket}, region: us-east-1, endpoint: "${server.endpoint}"}
upload:
  schedule: "02:00"
  file_stable_seconds: 0.5
deletion: {after_upload: {enabled: false}, age_based: {enabled: false}}
disk: {reserved_gb: 1}
monitoring: {cloudwatch_enabled: false}
state_dir: ${dir}/state
`,
  );
  return file;
}

/**
 * The installed executable end to end: `--version` prints the package version, `check-config`
 * accepts the configuration, and `run` uploads a log whose object on s3rver gunzips to it.
 */
export async function smokeTestInstalledCli(bin: string, server: S3TestServer, bucket: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const version = await mustExec(bin, ['--version'], { cwd: dir });
  expect(version.stdout.trim()).to.equal(PACKAGE.version);

  const config = writeSmokeConfig(dir, server, bucket);
  const check = await mustExec(bin, ['check-config', '--config', config], { cwd: dir, env: S3RVER_ENV });
  expect(check.stdout).to.include('configuration OK');
  expect(check.stdout).to.match(/runtime: Node /);

  const d = new DaemonProcess(spawn(bin, ['run', '--config', config], { cwd: dir, env: childEnv(S3RVER_ENV), stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    await d.waitFor((l) => l.msg === 'tvm-upload running', 'start', 120_000);
    // The start-up log states the runtime verdict (a warning when out of support).
    const runtime = d.lines.find((l) => l.node === process.version);
    expect(runtime, 'a start-up line naming the Node version').to.not.equal(undefined);
    expect(runtime!.msg).to.match(new RegExp(`^Node ${process.versions.node.replaceAll('.', '\\.')}`));
    const content = Buffer.from(`packaged daemon ${PACKAGE.version}\n`.repeat(200));
    writeFileSync(join(dir, 'logs', 'smoke.log'), content);
    const up = await d.waitFor((l) => l.msg === 'uploaded', 'the upload of smoke.log', 120_000);
    expect(up.key).to.match(/^packaged\/\d{4}-\d\d-\d\d\/ros\/smoke\.log\.gz$/);
    const stored = await getObject(server.client(), bucket, String(up.key));
    expect(gunzipSync(stored).equals(content), 'the stored object gunzips to the log').to.equal(true);
  } finally {
    d.kill('SIGTERM');
  }
  const exit = await d.exited;
  expect(exit.code, d.stderr.join('')).to.equal(0);
}
