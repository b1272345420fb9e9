/**
 * `tvm-upload status`: what the durable queue holds, read from the state database without
 * disturbing a running daemon (read-only connection; WAL lets it read while the daemon writes).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../config/load.js';
import { ErrorCodes, TvmError } from '../errors.js';
import { EXIT_OK } from './exit-codes.js';
import { reportError, type CliIo } from './io.js';
import { readLockPid } from './daemon-pid.js';
import { linkStatusLines, readLinkStatusFields } from '../link/status-fields.js';

export async function statusCommand(io: CliIo, opts: { config: string; json?: boolean }): Promise<number> {
  try {
    const config = loadConfig(opts.config, { env: io.env });
    const dbPath = join(config.stateDir, 'tvm-upload.db');
    if (!existsSync(dbPath)) {
      throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `no state database at ${dbPath}: the daemon has not run with state_dir ${config.stateDir} yet`);
    }
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT status, COUNT(*) AS n FROM files GROUP BY status').all() as Array<{ status: string; n: number }>;
      const counts: Record<string, number> = { queued: 0, in_flight: 0, uploaded: 0 };
      for (const r of rows) counts[r.status] = r.n;
      const oldest = db.prepare("SELECT MIN(queued_at) AS t FROM files WHERE status != 'uploaded'").get() as { t: number | null };
      const failing = db
        .prepare("SELECT path, attempts, last_error_code AS code, last_error AS error FROM files WHERE status = 'queued' AND attempts > 0 ORDER BY attempts DESC LIMIT 10")
        .all() as Array<{ path: string; attempts: number; code: string; error: string }>;
      const pid = readLockPid(config.stateDir);
      const status = {
        daemon: pid === null ? 'not running' : `running (pid ${pid})`,
        queued: counts.queued ?? 0,
        inFlight: counts.in_flight ?? 0,
        uploaded: counts.uploaded ?? 0,
        oldestQueued: oldest.t === null ? null : new Date(oldest.t).toISOString(),
        failing,
        ...readLinkStatusFields(db),
      };
      if (opts.json) {
        io.out(JSON.stringify(status, null, 2));
      } else {
        io.out(`daemon:    ${status.daemon}`);
        io.out(`queued:    ${status.queued} (in flight ${status.inFlight})${status.oldestQueued ? `, oldest since ${status.oldestQueued}` : ''}`);
        io.out(`uploaded:  ${status.uploaded} (kept in the registry for ${config.upload.processedFilesRegistry.retentionDays} days)`);
        for (const f of failing) io.out(`retrying:  ${f.path} (${f.attempts} attempts, ${f.code}: ${f.error})`);
        for (const line of linkStatusLines(status)) io.out(line);
      }
      return EXIT_OK;
    } finally {
      db.close();
    }
  } catch (err) {
    return reportError(io, err);
  }
}
