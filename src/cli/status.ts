/**
 * `tvm-upload status [--json]`: the status report (src/telemetry/status-report.ts) read from the
 * state database without disturbing a running daemon (read-only open; WAL lets it read while
 * the daemon writes). The JSON is the same document `/status` serves.
 */
import { loadConfig } from '../config/load.js';
import { StateReader } from '../state/state-reader.js';
import { buildStatusReport, type StatusReport } from '../telemetry/status-report.js';
import { EXIT_OK } from './exit-codes.js';
import { reportError, type CliIo } from './io.js';
import { liveDaemonPid } from './live-daemon.js';
import { formatBytes, formatDuration } from './format.js';
import type { Config } from '../config/types.js';
import { buildDeletion } from '../deletion/build.js';
import { deletionStatus, formatDeletionStatus } from '../deletion/status.js';
import type { DeletionReport } from '../telemetry/status-report.js';
import { nullLogger } from '../telemetry/null-logger.js';

/** Disk usage per filesystem, bytes deletable now, last pass: a read-only dry run of the policies. */
async function readDeletionStatus(config: Config, db: StateReader['db'], dbPath: string): Promise<DeletionReport> {
  try {
    const logger = nullLogger();
    // Events of a dry run read for a report go nowhere: a no-op emitter, so `status` does not
    // load prom-client for a registry it would throw away (docs/PERFORMANCE.md, "Memory and start-up changes").
    const dry = buildDeletion({ config, db, dbPath, enqueue: () => undefined, telemetry: { emit: () => undefined }, logger, now: Date.now, dryRun: true });
    return await deletionStatus(dry.pass);
  } catch (err) {
    // A database from before the deletion schema (the daemon has not run this version yet).
    return { unavailable: err instanceof Error ? err.message : String(err) };
  }
}
import { readLinkStatusFields } from '../link/status-fields.js';
import { linkStatusLines } from './status-link.js';

export async function statusCommand(io: CliIo, opts: { config: string; json?: boolean }): Promise<number> {
  try {
    const config = loadConfig(opts.config, { env: io.env });
    const reader = StateReader.open(config.stateDir);
    try {
      const now = Date.now();
      const link = readLinkStatusFields(reader.db, config, now);
      const report = { ...(await buildStatusReport({ config, reader, daemonPid: liveDaemonPid(config.stateDir), now, deletion: () => readDeletionStatus(config, reader.db, reader.dbPath) })), ...link };
      if (opts.json) io.out(JSON.stringify(report, null, 2));
      else for (const line of [...statusLines(report, config.upload.processedFilesRegistry.retentionDays), ...linkStatusLines(link, report.running)]) io.out(line);
      return EXIT_OK;
    } finally {
      reader.close();
    }
  } catch (err) {
    return reportError(io, err);
  }
}

export function statusLines(r: StatusReport, retentionDays: number): string[] {
  const lines = [
    `daemon:    ${r.daemon}`,
    `queued:    ${r.queued} (in flight ${r.inFlight}), ${formatBytes(r.bytesPending)} pending` +
      (r.oldestPendingAgeSeconds === null ? '' : `, oldest waiting ${formatDuration(r.oldestPendingAgeSeconds)} (since ${r.oldestPendingAt})`),
    `uploaded:  ${r.uploaded} (kept in the registry for ${retentionDays} days)`,
    `last 24 h: ${r.last24h.uploads} uploads, ${formatBytes(r.last24h.bytes)}, ${r.last24h.failures} failed attempts`,
  ];
  for (const f of r.inFlightFiles) {
    const total = f.uploadBytes ?? f.size;
    lines.push(`sending:   ${f.path} (${formatBytes(f.bytesConfirmed)} of ${formatBytes(total)} confirmed)`);
  }
  for (const f of r.retrying) lines.push(`retrying:  ${f.path} (${f.attempts} attempts, ${f.code}: ${f.error}; next at ${f.nextAttemptAt})`);
  for (const e of r.lastErrors) lines.push(`last error ${e.code} at ${new Date(e.at).toISOString()}: ${e.path}: ${e.message}`);
  if (r.lastPass !== null) {
    const who = r.lastPass.oneShot ? 'one-shot' : 'by the daemon';
    lines.push(`upload-now: last pass ${who} started ${r.lastPass.startedAt}, ${r.lastPass.finishedAt === null ? 'still running' : `finished ${r.lastPass.finishedAt}`}`);
  }
  for (const d of r.disk) {
    lines.push(
      d.usedPercent === null
        ? `disk:      ${d.holds.join(', ')}: cannot measure (${d.error})`
        : `disk:      ${d.holds.join(', ')}: ${d.usedPercent}% used, ${formatBytes(d.availableBytes ?? 0)} free`,
    );
  }
  if (r.deletion !== null) {
    if ('unavailable' in r.deletion) lines.push(`deletion:  unavailable (${r.deletion.unavailable})`);
    else lines.push(...formatDeletionStatus(r.deletion));
  }
  lines.push(`state:     database ${formatBytes(r.stateUsage.databaseBytes)}, spool ${r.stateUsage.spoolFiles} files ${formatBytes(r.stateUsage.spoolBytes)}`);
  lines.push(r.degraded.length === 0 ? 'health:    ok' : `health:    DEGRADED`);
  for (const h of r.degraded) lines.push(`  ${h.key}: ${h.message} (since ${new Date(h.since).toISOString()})`);
  return lines;
}
