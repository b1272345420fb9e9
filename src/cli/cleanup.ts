/**
 * `tvm-upload cleanup [--dry-run] [--json]`: runs every deletion policy now (age-based included,
 * due or not) through the same safety layers as the daemon, and prints each file deleted (or
 * that would be deleted) with its policy and reason, and the free space before and after.
 *
 * Standalone it takes the state dir's single-writer lock like the daemon. With a daemon running,
 * `--dry-run` reads the database read-only beside it; a real cleanup must be done by the daemon
 * itself (it owns the queue), so the daemon is asked with SIGUSR2 (owner-checked, see
 * daemon-pid.ts), runs Daemon.runDeletionPass, and this command waits for that pass and prints
 * it (cleanup-follow.ts) unless --no-wait.
 */
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { buildDeletion, type DeletionProbes } from '../deletion/build.js';
import { runDeletionPass, type PassReport } from '../deletion/pass.js';
import { dryRunReadOnly } from '../deletion/dry-run.js';
import { gib } from '../deletion/status.js';
import { ErrorCodes, TvmError } from '../errors.js';
import { openStateStore } from '../state/store.js';
import { Telemetry } from '../telemetry/events.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { EXIT_INTERRUPTED, EXIT_OK } from './exit-codes.js';
import { reportError, type CliIo } from './io.js';
import { readLockPid } from './daemon-pid.js';
import { cleanupByDaemon } from './cleanup-follow.js';

export interface CleanupOptions {
  readonly config: string;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  /** commander's --no-wait sets this to false. */
  readonly wait?: boolean;
  /** --timeout: seconds to wait for the daemon's pass (text as typed). */
  readonly timeout?: string;
  /** Tests: fake statfs / file-system probes. */
  readonly probes?: DeletionProbes;
}

export async function cleanupCommand(io: CliIo, opts: CleanupOptions): Promise<number> {
  try {
    const config = loadConfig(opts.config, { env: io.env });
    const dryRun = opts.dryRun === true;
    const pid = readLockPid(config.stateDir);
    if (pid !== null && !dryRun) {
      // The daemon owns the queue: ask it (SIGUSR2) rather than deleting beside it.
      const timeoutMs = parseTimeout(opts.timeout);
      const answer = await cleanupByDaemon(io, config, pid, { json: opts.json === true, wait: opts.wait !== false, timeoutMs });
      if (answer === EXIT_INTERRUPTED) return answer;
      if (answer === 'asked') {
        const line = `asked the running daemon (pid ${pid}) to run the deletion policies now; each deletion is in its log, and \`tvm-upload status\` shows the last deletion pass`;
        io.out(opts.json ? JSON.stringify({ askedDaemon: pid }, null, 2) : line);
        return EXIT_OK;
      }
      io.out(opts.json ? JSON.stringify({ byDaemon: pid, ...toJson(answer) }, null, 2) : formatReport(answer).join('\n'));
      return EXIT_OK;
    }
    // Warnings (a file that cannot be unlinked) go to stderr; the report goes to stdout.
    const logger = createLogger({ level: 'warn', pretty: false, destination: { write: (s: string) => io.err(s) } });
    const report = pid !== null ? await dryRunReadOnly(config, logger, opts.probes) : await standalone(config, logger, dryRun, opts.probes);
    io.out(opts.json ? JSON.stringify(toJson(report), null, 2) : formatReport(report).join('\n'));
    return EXIT_OK;
  } catch (err) {
    return reportError(io, err);
  }
}

/** Seconds to wait for a running daemon's pass: long enough for a pass over a large tree on a slow disk. */
export const DEFAULT_CLEANUP_TIMEOUT_S = 300;

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CLEANUP_TIMEOUT_S * 1000;
  const s = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(s) || s <= 0 || s > 86_400) {
    throw new TvmError(ErrorCodes.USAGE, `--timeout "${text}" is not a number of seconds between 0 and 86400 (e.g. --timeout 600)`);
  }
  return s * 1000;
}

/** With the lock: the daemon is not running, so this process may write (and migrate) the state. */
async function standalone(config: Config, logger: Logger, dryRun: boolean, probes: DeletionProbes = {}): Promise<PassReport> {
  const store = openStateStore({ dir: config.stateDir, logger });
  try {
    const { pass } = buildDeletion({
      config, db: store.db, dbPath: store.dbPath, enqueue: (i, t) => store.files.enqueue(i, t),
      telemetry: new Telemetry(logger), logger, now: Date.now, dryRun, ...probes,
    });
    return await runDeletionPass(pass, { trigger: 'cleanup', forceAgeBased: true });
  } finally {
    store.close();
  }
}


export function formatReport(r: PassReport): string[] {
  const verb = r.dryRun ? 'would delete' : 'deleted';
  const lines = r.entries.map((e) => `${verb}: ${e.path} (${e.size} bytes, ${e.policy}: ${e.reason})${e.uploaded ? '' : ' [NOT UPLOADED]'}`);
  if (r.deletedCount > r.entries.length) lines.push(`… and ${r.deletedCount - r.entries.length} more`);
  lines.push(
    `${r.dryRun ? 'dry run: would delete' : 'deleted'} ${r.deletedCount} files, ${gib(r.deletedBytes)} GiB` +
      (r.notUploadedCount > 0 ? ` (${r.notUploadedCount} not uploaded)` : ''),
  );
  for (const f of r.filesystems) {
    const free = (u: { availableBytes: number; usedPercent: number }): string => `${gib(u.availableBytes)} GiB free (${u.usedPercent.toFixed(1)}% used)`;
    lines.push(`${f.path}: ${free(f.before)} before, ${free(f.after)} after${r.dryRun ? ' (predicted)' : ''}`);
  }
  return lines;
}

function toJson(r: PassReport): Record<string, unknown> {
  return {
    dryRun: r.dryRun,
    deletedCount: r.deletedCount,
    deletedBytes: r.deletedBytes,
    notUploadedCount: r.notUploadedCount,
    files: r.entries.map((e) => ({ ...e, mtime: new Date(e.mtimeMs).toISOString() })),
    filesystems: r.filesystems.map((f) => ({
      path: f.path,
      dirs: f.dirs,
      pressure: f.pressure,
      before: { usedPercent: f.before.usedPercent, availableBytes: f.before.availableBytes },
      after: { usedPercent: f.after.usedPercent, availableBytes: f.after.availableBytes },
    })),
  };
}
