/**
 * `tvm-upload upload-now`: upload everything eligible now, like a one-shot `aws s3 sync`.
 *  - No daemon on this state dir: run the pipeline once in this process (upload-once.ts).
 *  - A daemon runs: ask it for a pass and follow it to the end (upload-follow.ts); --no-wait
 *    only asks.
 *  - --dry-run: list what would be uploaded, with target keys and sizes; nothing is written.
 * Exit 0: everything eligible was uploaded; 1: a file failed (each listed with its reason) or
 * the store is busy; 2: usage or configuration error; 130: interrupted.
 */
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { StateReader } from '../state/state-reader.js';
import { EXIT_OK } from './exit-codes.js';
import { formatBytes } from './format.js';
import { reportError, type CliIo } from './io.js';
import { liveDaemonPid } from './live-daemon.js';
import { planUploads } from './upload-dry-run.js';
import { askDaemon } from './upload-follow.js';
import { runOneShot } from './upload-once.js';
import type { ProgressStyle } from './upload-progress.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE } from '../state/store.js';

export interface UploadNowOptions {
  readonly config: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  /** commander's --no-wait sets this to false. */
  readonly wait?: boolean;
  /** Tests: force the progress style (default: a bar on a terminal, else lines; none with --json). */
  readonly style?: ProgressStyle;
}

export async function uploadNowCommand(io: CliIo, opts: UploadNowOptions): Promise<number> {
  try {
    const config = loadConfig(opts.config, { env: io.env });
    const json = opts.json === true;
    const style: ProgressStyle = json ? 'none' : (opts.style ?? (process.stderr.isTTY ? 'bar' : 'lines'));
    if (opts.dryRun) return await dryRun(io, config, json);
    const pid = liveDaemonPid(config.stateDir);
    if (pid !== null) return await askDaemon(io, config, pid, { json, style, wait: opts.wait !== false });
    return await runOneShot(io, config, { json, style });
  } catch (err) {
    return reportError(io, err);
  }
}

async function dryRun(io: CliIo, config: Config, json: boolean): Promise<number> {
  const reader = existsSync(join(config.stateDir, DB_FILE)) ? StateReader.open(config.stateDir) : null;
  try {
    const plan = await planUploads(config, reader, Date.now());
    const bytes = plan.files.reduce((n, f) => n + f.size, 0);
    if (json) {
      io.out(JSON.stringify({ dryRun: true, files: plan.files, count: plan.files.length, bytes, alreadyUploaded: plan.alreadyUploaded, stillChanging: plan.stillChanging, unreadable: plan.unreadable }, null, 2));
      return EXIT_OK;
    }
    for (const f of plan.files) io.out(`would upload ${f.path} → s3://${config.s3.bucket}/${f.key} (${formatBytes(f.size)})`);
    for (const p of plan.stillChanging) io.out(`would skip ${p}: still being written`);
    for (const p of plan.unreadable) io.out(`cannot read ${p}`);
    io.out(`dry run: ${plan.files.length} file(s), ${formatBytes(bytes)} would be uploaded; ${plan.alreadyUploaded} already uploaded`);
    return EXIT_OK;
  } finally {
    reader?.close();
  }
}
