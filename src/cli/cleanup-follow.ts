/**
 * `cleanup` while a daemon runs: ask it for a deletion pass (SIGUSR2) and, unless --no-wait,
 * wait for that pass through the state store (read-only) until the daemon records its end, then
 * print it like a standalone cleanup: each file deleted (the pass's audit rows) with its policy
 * and reason, the totals, and the free space before and after. The pass is recognised by the
 * request the daemon records (src/deletion/requests.ts). Ctrl-C stops waiting only; the daemon
 * finishes the pass.
 */
import type { Config } from '../config/types.js';
import { DeletionRepo } from '../deletion/deletion-repo.js';
import { REPORT_ENTRIES, type PassReport } from '../deletion/pass.js';
import { answerTo, lastRequestSeq, parseRequestedPasses, REQUESTED_PASSES_KEY, type RequestedPass } from '../deletion/requests.js';
import { ErrorCodes, TvmError } from '../errors.js';
import { StateReader } from '../state/state-reader.js';
import { signalDaemon } from './daemon-pid.js';
import { EXIT_INTERRUPTED } from './exit-codes.js';
import type { CliIo } from './io.js';
import { liveDaemonPid } from './live-daemon.js';

const POLL_MS = 250;

export interface CleanupFollowOptions {
  readonly json: boolean;
  readonly wait: boolean;
  /** Give up waiting after this long (the pass goes on in the daemon). */
  readonly timeoutMs: number;
}

/** The pass's report, `'asked'` with --no-wait, or EXIT_INTERRUPTED after Ctrl-C. */
export async function cleanupByDaemon(io: CliIo, config: Config, pid: number, o: CleanupFollowOptions): Promise<PassReport | 'asked' | typeof EXIT_INTERRUPTED> {
  const reader = StateReader.open(config.stateDir);
  let interrupted = false;
  const onInt = (): void => void (interrupted = true);
  try {
    const requests = (): RequestedPass[] => parseRequestedPasses(reader.meta(REQUESTED_PASSES_KEY));
    const before = lastRequestSeq(requests());
    const sentAt = Date.now();
    // Owner-checked right before sending: never signal a pid that is no longer the daemon.
    if (signalDaemon(config.stateDir, 'SIGUSR2') === null) {
      throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `the tvm-upload daemon (pid ${pid}) on state_dir ${config.stateDir} stopped before it could be asked`, {
        hint: 'run cleanup again: with no daemon running it runs the policies itself',
      });
    }
    if (!o.wait) return 'asked';
    process.on('SIGINT', onInt);
    if (!o.json) io.err(`asked tvm-upload (pid ${pid}) for a deletion pass; waiting for it to finish (Ctrl-C stops waiting, not the pass)`);
    const deadline = Date.now() + o.timeoutMs;
    for (;;) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (interrupted) return EXIT_INTERRUPTED;
      const pass = answerTo(requests(), before, sentAt);
      if (pass !== null && pass.finishedAt !== null) return reportOf(reader, pass);
      if (liveDaemonPid(config.stateDir) !== pid) {
        throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `tvm-upload (pid ${pid}) stopped before the deletion pass it was asked for finished`, {
          retriability: 'operator',
          hint: 'files deleted so far are in the deletion audit; run cleanup again (with no daemon it runs the policies itself)',
        });
      }
      if (Date.now() > deadline) throw notAnswered(pid, o.timeoutMs, pass);
    }
  } finally {
    process.off('SIGINT', onInt);
    reader.close();
  }
}

function notAnswered(pid: number, timeoutMs: number, pass: RequestedPass | null): TvmError {
  const s = Math.round(timeoutMs / 1000);
  return pass === null
    ? new TvmError(ErrorCodes.STATE_UNAVAILABLE, `tvm-upload (pid ${pid}) did not take the deletion request within ${s} s`, {
        retriability: 'operator',
        details: { pid },
        hint: 'a daemon of an older release only logs the pass: check `journalctl -u tvm-upload` and `tvm-upload status` (deleted: line); restart it to run this release',
      })
    : new TvmError(ErrorCodes.STATE_UNAVAILABLE, `the deletion pass tvm-upload (pid ${pid}) runs for this request did not finish within ${s} s; it goes on in the daemon`, {
        retriability: 'operator',
        details: { pid },
        hint: 'see `tvm-upload status` (deleted: line) later, or wait longer with --timeout',
      });
}

/** The recorded pass with its deletions read back from the audit rows. */
function reportOf(reader: StateReader, p: RequestedPass): PassReport {
  if (p.error !== null) {
    throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `the deletion pass the daemon ran for this request failed: ${p.error}`, {
      retriability: 'operator',
      hint: 'the daemon log has the details (journalctl -u tvm-upload); the next timer pass tries again',
    });
  }
  const startedAt = p.startedAt ?? p.requestedAt;
  const finishedAt = p.finishedAt ?? startedAt;
  const rows = new DeletionRepo(reader.db, reader.dbPath).auditBetween(startedAt, finishedAt, REPORT_ENTRIES);
  return {
    trigger: 'request', dryRun: false, startedAt, finishedAt, ageBasedRan: p.ageBasedRan,
    deletedCount: p.deleted, deletedBytes: p.bytes, notUploadedCount: p.notUploaded, filesystems: p.filesystems,
    entries: rows.map((r) => ({ path: r.path, source: r.source, policy: r.policy as PassReport['entries'][number]['policy'], reason: r.reason, size: r.size, mtimeMs: r.mtimeMs, uploaded: r.uploaded, sha256: r.contentSha256 })),
  };
}
