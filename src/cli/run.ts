/**
 * `tvm-upload run`: the daemon in the foreground (systemd Type=simple). SIGTERM/SIGINT stop it
 * gracefully (in-flight uploads get a deadline, then are checkpointed); a second signal exits at
 * once. SIGUSR1 triggers an upload pass (what `tvm-upload upload-now` sends).
 */
import { loadConfig } from '../config/load.js';
import { Daemon } from '../daemon.js';
import { createLogger, normaliseLevel } from '../telemetry/logger.js';
import { ErrorCodes, TvmError } from '../errors.js';
import { currentNodeSupport, logRuntimeSupport } from '../runtime/node-support.js';
import { EXIT_OK } from './exit-codes.js';
import { reportError, type CliIo } from './io.js';

export interface RunOptions {
  config: string;
  logLevel?: string;
  /** Milliseconds in-flight uploads get at shutdown. */
  shutdownDeadlineMs?: number;
}

export async function runCommand(io: CliIo, opts: RunOptions): Promise<number> {
  let daemon: Daemon;
  try {
    const level = normaliseLevel(opts.logLevel ?? io.env.TVM_UPLOAD_LOG_LEVEL ?? 'info');
    if (level === null) {
      throw new TvmError(ErrorCodes.USAGE, `--log-level: "${opts.logLevel}" is not one of DEBUG, INFO, WARNING, ERROR (or trace, fatal, silent)`);
    }
    const config = loadConfig(opts.config, { env: io.env });
    const logger = createLogger({ level });
    logRuntimeSupport(logger, currentNodeSupport());
    daemon = await Daemon.start({ config, logger, env: io.env });
    return await new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) {
          logger.warn({ signal }, 'second signal: exiting now; interrupted uploads resume on the next start');
          process.exit(130);
        }
        stopping = true;
        logger.info({ signal }, 'stopping');
        daemon.close(opts.shutdownDeadlineMs ?? 20_000).then(
          () => resolve(EXIT_OK),
          (err: unknown) => resolve(reportError(io, err)),
        );
      };
      const onUsr1 = (): void => {
        logger.info('upload pass requested (SIGUSR1)');
        void daemon.uploadNow();
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGUSR1', onUsr1);
    });
  } catch (err) {
    return reportError(io, err);
  }
}
