/**
 * `upload-now` with no daemon running: the daemon's own pipeline in one-shot mode (Daemon mode
 * `once`) takes the state dir's lock, scans every tree, uploads everything eligible now and
 * records it in the same store, so a later daemon start uploads nothing twice. Ctrl-C (or
 * SIGTERM) stops it like the daemon: in-flight uploads get the shutdown deadline, then are
 * checkpointed, the lock is released, exit 130. SIGUSR1 (a second `upload-now` racing this one)
 * is acknowledged and ignored: this pass already covers it, and an unhandled SIGUSR1 would open
 * Node's inspector.
 */
import pino from 'pino';
import type { Config } from '../config/types.js';
import { Daemon } from '../daemon.js';
import { processSignals } from '../early-signals.js';
import type { SignalRequests } from '../signals.js';
import { StateReader } from '../state/state-reader.js';
import { createLogger, normaliseLevel } from '../telemetry/logger.js';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_RUNTIME } from './exit-codes.js';
import type { CliIo } from './io.js';
import { followProgress, passSummary, printSummary, type ProgressStyle } from './upload-progress.js';


export interface OneShotOptions {
  readonly json: boolean;
  readonly style: ProgressStyle;
  /** Default: upload.shutdown_deadline_seconds. */
  readonly shutdownDeadlineMs?: number;
  /** The process's signal requests (tests inject their own). */
  readonly signals?: SignalRequests;
}

export async function runOneShot(io: CliIo, config: Config, o: OneShotOptions): Promise<number> {
  // Logs go to stderr, quiet by default: the progress and the summary are the output.
  const logger = createLogger({ level: normaliseLevel(io.env.TVM_UPLOAD_LOG_LEVEL ?? 'error') ?? 'error', destination: pino.destination({ dest: 2, sync: true }) });
  const deadlineMs = o.shutdownDeadlineMs ?? config.upload.shutdownDeadlineSeconds * 1000;
  const signals = o.signals ?? processSignals;
  let daemon: Daemon | null = null;
  let interrupted = false;
  let stopped: Promise<void> | null = null;
  let wakeOnInterrupt: () => void = () => undefined;
  const interruption = new Promise<void>((resolve) => (wakeOnInterrupt = resolve));
  const stop = (): void => {
    if (interrupted) process.exit(EXIT_INTERRUPTED);
    interrupted = true;
    wakeOnInterrupt();
    io.err('interrupted: stopping; uploads in flight are checkpointed and resume next time');
    if (daemon) stopped = daemon.close(deadlineMs);
  };
  const ignoreUsr1 = (): void => logger.info('upload pass requested (SIGUSR1): this one-shot pass already covers it');
  // Through the process's signal requests (src/signals.ts), which hold SIGINT/SIGTERM/SIGUSR1 from
  // the first line of main: a stop with no consumer would exit at once, without a checkpoint.
  signals.handle('stop', stop);
  signals.handle('upload', ignoreUsr1);
  const startedAt = Date.now();
  const stillChanging: string[] = [];
  let reader: StateReader | null = null;
  try {
    daemon = await Daemon.start({ config, logger, env: io.env, mode: 'once', onRecent: (f) => void stillChanging.push(f.path) });
    if (interrupted) stopped = daemon.close(deadlineMs);
    reader = StateReader.open(config.stateDir);
    const stopProgress = followProgress(io, reader, startedAt, o.style);
    if (!interrupted) await Promise.race([daemon.runOnce(), interruption]);
    stopProgress();
    await (stopped ?? daemon.close(deadlineMs));
    const summary = passSummary(reader, { mode: 'one-shot', startedAt, now: Date.now(), stillChanging });
    printSummary(io, summary, o.json);
    if (interrupted) return EXIT_INTERRUPTED;
    return summary.failed.length === 0 && summary.remaining === 0 ? EXIT_OK : EXIT_RUNTIME;
  } finally {
    reader?.close();
    await daemon?.close(0);
    signals.release('stop');
    signals.release('upload');
  }
}
