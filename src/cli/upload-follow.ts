/**
 * `upload-now` while a daemon runs: ask it for a pass (SIGUSR1, as before) and, unless
 * --no-wait, follow that pass through the state store (read-only) until the daemon records its
 * end, then print the same summary as a one-shot. The pass is recognised by its number: the
 * first pass numbered after the one recorded before signalling. Ctrl-C stops following only;
 * the daemon finishes the pass.
 */
import { signalDaemon } from './daemon-pid.js';
import type { Config } from '../config/types.js';
import { ErrorCodes, TvmError } from '../errors.js';
import { StateReader } from '../state/state-reader.js';
import { parseUploadPass, UPLOAD_PASS_META_KEY, type UploadPassRecord } from '../telemetry/upload-pass.js';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_RUNTIME } from './exit-codes.js';
import type { CliIo } from './io.js';
import { liveDaemonPid } from './live-daemon.js';
import { followProgress, passSummary, printSummary, type ProgressStyle } from './upload-progress.js';

const POLL_MS = 250;

export interface FollowOptions {
  readonly json: boolean;
  readonly style: ProgressStyle;
  readonly wait: boolean;
}

export async function askDaemon(io: CliIo, config: Config, pid: number, o: FollowOptions): Promise<number> {
  const reader = StateReader.open(config.stateDir);
  let interrupted = false;
  const onInt = (): void => void (interrupted = true);
  try {
    const before = parseUploadPass(reader.meta(UPLOAD_PASS_META_KEY));
    if (before !== null && before.oneShot && before.pid === pid && before.finishedAt === null) {
      throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `the state store ${config.stateDir} is busy: a tvm-upload upload-now (pid ${pid}) is uploading now`, {
        retriability: 'operator',
        details: { pid, path: config.stateDir },
        hint: 'wait for it to finish (it uploads everything eligible), then run again to see the result',
      });
    }
    // Owner-checked again right before sending: never signal a pid that is no longer the daemon.
    if (signalDaemon(config.stateDir, 'SIGUSR1') === null) {
      throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `the tvm-upload daemon (pid ${pid}) on state_dir ${config.stateDir} stopped before it could be asked`, {
        hint: 'run upload-now again: with no daemon running it uploads everything itself',
      });
    }
    if (!o.wait) {
      io.out(`upload pass requested from tvm-upload (pid ${pid}); follow it with: tvm-upload status, or journalctl -u tvm-upload -f`);
      return EXIT_OK;
    }
    process.on('SIGINT', onInt);
    const asked = Date.now();
    if (!o.json) io.err(`asked tvm-upload (pid ${pid}) for an upload pass; waiting for it to finish (Ctrl-C stops waiting, not the pass)`);
    const stopProgress = followProgress(io, reader, asked, o.style);
    let pass: UploadPassRecord | null = null;
    try {
      for (;;) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        if (interrupted) return EXIT_INTERRUPTED;
        const rec = parseUploadPass(reader.meta(UPLOAD_PASS_META_KEY));
        if (rec !== null && rec.seq > (before?.seq ?? 0)) {
          pass = rec;
          if (rec.finishedAt !== null) break;
        }
        if (liveDaemonPid(config.stateDir) !== pid) {
          throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `tvm-upload (pid ${pid}) stopped before the upload pass finished`, {
            retriability: 'operator',
            hint: 'files not uploaded stay queued: start the daemon again, or run upload-now once more',
          });
        }
      }
    } finally {
      stopProgress();
    }
    const summary = passSummary(reader, { mode: 'daemon', startedAt: Math.min(pass.startedAt, asked), now: pass.finishedAt ?? Date.now() });
    printSummary(io, summary, o.json);
    return summary.failed.length === 0 && summary.remaining === 0 ? EXIT_OK : EXIT_RUNTIME;
  } finally {
    process.off('SIGINT', onInt);
    reader.close();
  }
}
