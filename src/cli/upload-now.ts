/**
 * `tvm-upload upload-now`: ask the running daemon for an upload pass (rescan every tree and
 * drain the whole queue, ignoring operational hours), by SIGUSR1 to the pid in its lock file.
 */
import { loadConfig } from '../config/load.js';
import { ErrorCodes, TvmError } from '../errors.js';
import { EXIT_OK } from './exit-codes.js';
import { reportError, type CliIo } from './io.js';
import { signalDaemon } from './daemon-pid.js';

export async function uploadNowCommand(io: CliIo, opts: { config: string }): Promise<number> {
  try {
    const config = loadConfig(opts.config, { env: io.env });
    const pid = signalDaemon(config.stateDir, 'SIGUSR1');
    if (pid === null) {
      throw new TvmError(ErrorCodes.STATE_UNAVAILABLE, `no tvm-upload daemon is running on state_dir ${config.stateDir}`, {
        hint: 'start it (systemctl start tvm-upload) — queued files upload as soon as it runs',
      });
    }
    io.out(`upload pass requested from tvm-upload (pid ${pid}); follow it with: journalctl -u tvm-upload -f`);
    return EXIT_OK;
  } catch (err) {
    return reportError(io, err);
  }
}
