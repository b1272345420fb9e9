/**
 * `tvm-upload run`: the daemon in the foreground (systemd Type=simple). It consumes the signal
 * requests (src/signals.ts), which may have arrived before it was ready:
 *  - SIGTERM/SIGINT stop it gracefully (in-flight uploads get upload.shutdown_deadline_seconds,
 *    then are checkpointed); during start-up the start-up scan is cut short first. A second
 *    signal exits at once.
 *  - SIGHUP reloads the configuration file (reload.ts), once ready.
 *  - SIGUSR1 asks for an upload pass (what `tvm-upload upload-now` sends), acted on once ready.
 *  - SIGUSR2 asks for a deletion pass, for the deletion policies to take up.
 */
import { loadConfig } from '../config/load.js';
import { Daemon } from '../daemon.js';
import { processSignals } from '../early-signals.js';
import type { SignalRequests } from '../signals.js';
import { createLogger, normaliseLevel, type Logger } from '../telemetry/logger.js';
import { ErrorCodes, TvmError } from '../errors.js';
import { currentNodeSupport, logRuntimeSupport } from '../runtime/node-support.js';
import { EXIT_OK } from './exit-codes.js';
import { reportError, type CliIo } from './io.js';
import { createReloader } from './reload.js';

export interface RunOptions {
  config: string;
  logLevel?: string;
  /** Where signal requests come from; default the process's own. */
  signals?: SignalRequests;
  /** Called instead of process.exit for a second stop signal (tests). */
  exitNow?: (code: number) => void;
}

export async function runCommand(io: CliIo, opts: RunOptions): Promise<number> {
  const signals = opts.signals ?? processSignals;
  const exitNow = opts.exitNow ?? ((code: number) => process.exit(code));
  const startAbort = new AbortController();
  let logger: Logger | null = null;
  let stopSignal: string | null = null;
  let stop: (signal: string) => void = () => undefined;
  signals.handle('stop', (signal) => {
    if (stopSignal !== null) {
      logger?.warn({ signal }, 'second signal: exiting now; interrupted uploads resume on the next start');
      exitNow(130);
      return;
    }
    stopSignal = signal;
    logger?.info({ signal }, 'stopping');
    // Stopping: later reload/upload/deletion requests are left waiting, never half-applied.
    for (const kind of ['reload', 'upload', 'deletion'] as const) signals.release(kind);
    startAbort.abort();
    stop(signal);
  });
  try {
    const level = normaliseLevel(opts.logLevel ?? io.env.TVM_UPLOAD_LOG_LEVEL ?? 'info');
    if (level === null) {
      throw new TvmError(ErrorCodes.USAGE, `--log-level: "${opts.logLevel}" is not one of DEBUG, INFO, WARNING, ERROR (or trace, fatal, silent)`);
    }
    const config = loadConfig(opts.config, { env: io.env });
    logger = createLogger({ level });
    logRuntimeSupport(logger, currentNodeSupport());
    if (stopSignal !== null) return EXIT_OK; // stopped before anything was opened
    const log = logger;
    const daemon = await Daemon.start({ config, logger: log, env: io.env, signal: startAbort.signal });
    return await new Promise<number>((resolve) => {
      stop = () => {
        daemon.close().then(
          () => resolve(EXIT_OK),
          (err: unknown) => resolve(reportError(io, err)),
        );
      };
      if (stopSignal !== null) {
        stop(stopSignal);
        return;
      }
      const reloader = createReloader({ load: () => loadConfig(opts.config, { env: io.env }), daemon, logger: log, file: opts.config });
      signals.handle('reload', (signal) => reloader.request(signal));
      signals.handle('upload', (signal) => {
        log.info({ signal }, 'upload pass requested');
        void daemon.uploadNow();
      });
      signals.handle('deletion', (signal) => {
        if (!daemon.requestDeletionPass()) log.warn({ signal }, 'deletion pass requested, but running deletion policies on demand is not supported yet');
      });
    });
  } catch (err) {
    return reportError(io, err);
  } finally {
    for (const kind of ['stop', 'reload', 'upload', 'deletion'] as const) signals.release(kind);
  }
}
