/**
 * `tvm-upload mark`: sets an incident marker. Every file whose mtime falls in
 * [now − before, now + after], across all watched directories, is uploaded as `high`: queued files
 * are raised at once, files written later in the window when they are queued. Works whether the
 * daemon runs or not: it writes the marker straight into the state database (WAL lets it write
 * beside a running daemon, which re-reads markers within a second).
 */
import { loadConfig } from '../config/load.js';
import { ErrorCodes, TvmError } from '../errors.js';
import { openStateForCommand } from '../state/command-db.js';
import { MetaRepo } from '../state/meta-repo.js';
import { addMarker, parseDuration, raiseWindow } from '../priority/markers.js';
import { EXIT_OK } from './exit-codes.js';
import { reportError, type CliIo } from './io.js';

export interface MarkOptions {
  readonly config: string;
  readonly reason?: string;
  readonly before?: string;
  readonly after?: string;
}

export async function markCommand(io: CliIo, opts: MarkOptions, now: () => number = Date.now): Promise<number> {
  try {
    const before = duration('--before', opts.before ?? '10m');
    const after = duration('--after', opts.after ?? '5m');
    const config = loadConfig(opts.config, { env: io.env });
    const { db, dbPath } = openStateForCommand(config.stateDir);
    try {
      const at = now();
      const reason = opts.reason?.trim() || 'manual mark';
      const { marker, raised } = db
        .transaction(() => {
          const m = addMarker(new MetaRepo(db, dbPath), { at, reason, from: at - before, to: at + after }, at);
          return { marker: m, raised: raiseWindow(db, m.from, m.to) };
        })
        .immediate();
      io.out(
        `marked ${new Date(marker.at).toISOString()} (${JSON.stringify(marker.reason)}): files with an mtime from ` +
          `${new Date(marker.from).toISOString()} to ${new Date(marker.to).toISOString()} upload as high; ${raised} queued file(s) raised now\n`,
      );
      return EXIT_OK;
    } finally {
      db.close();
    }
  } catch (err) {
    return reportError(io, err);
  }
}

function duration(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms !== null) return ms;
  throw new TvmError(ErrorCodes.USAGE, `${flag} ${JSON.stringify(text)} is not a duration like "90s", "10m", "2h" or "1d"`, { retriability: 'permanent' });
}
