/**
 * What `tvm-upload run` does on SIGHUP (`systemctl reload tvm-upload`): read and validate the
 * configuration file again; an invalid file is refused with every problem logged, one line each,
 * exactly as `check-config` words them, and the daemon keeps running on what it had (the Python
 * daemon installed the invalid file). A valid one is applied live (Daemon.reload) and the log
 * says which keys changed and which need a restart.
 *
 * Reloads run one at a time; HUPs that arrive meanwhile fold into one more reload afterwards, so
 * a burst of signals is at most two reloads and never two at once.
 */
import type { Config } from '../config/types.js';
import { isEmptyPlan, type ReloadPlan } from '../config/reload-plan.js';
import { ConfigError, isTvmError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';

export interface ReloadTarget {
  reload(next: Config): Promise<ReloadPlan>;
}

export interface Reloader {
  /** Ask for a reload (the HUP handler). */
  request(signal: string): void;
  /** Resolves when no reload is running or waiting (tests). */
  idle(): Promise<void>;
}

export function createReloader(o: { load: () => Config; daemon: ReloadTarget; logger: Logger; file: string }): Reloader {
  let running: Promise<void> | null = null;
  let again = false;

  const once = async (signal: string): Promise<void> => {
    let next: Config;
    try {
      next = o.load();
    } catch (err) {
      logRejected(o.logger, o.file, signal, err);
      return;
    }
    try {
      logPlan(o.logger, o.file, signal, await o.daemon.reload(next));
    } catch (err) {
      o.logger.error({ err, signal }, 'configuration reload failed part-way; restart tvm-upload to be sure the file is in effect');
    }
  };

  return {
    request(signal) {
      if (running !== null) {
        again = true;
        return;
      }
      running = (async () => {
        do {
          again = false;
          await once(signal);
        } while (again);
      })().finally(() => (running = null));
    },
    idle: () => running ?? Promise.resolve(),
  };
}

function logRejected(logger: Logger, file: string, signal: string, err: unknown): void {
  const head = `configuration reload rejected: still running on the previous configuration; fix ${file} (check with: tvm-upload check-config) and reload again`;
  if (err instanceof ConfigError) {
    logger.error({ signal, file, problems: err.problems.length }, head);
    for (const problem of err.problems) logger.error({ file }, problem);
    return;
  }
  logger.error({ signal, file }, head);
  logger.error({ file }, isTvmError(err) || err instanceof Error ? err.message : String(err));
}

function logPlan(logger: Logger, file: string, signal: string, plan: ReloadPlan): void {
  if (isEmptyPlan(plan)) {
    logger.info({ signal, file }, 'configuration reloaded: nothing changed');
    return;
  }
  const d = plan.directories;
  logger.info(
    {
      signal,
      file,
      applied: plan.applied,
      directoriesAdded: d.added,
      directoriesRemoved: d.removed,
      directoriesChanged: d.changed,
      needsRestart: plan.needsRestart,
    },
    'configuration reloaded',
  );
  if (plan.needsRestart.length > 0) {
    logger.warn(
      { keys: plan.needsRestart },
      `configuration keys changed that need a restart (running values kept until then): ${plan.needsRestart.join(', ')}`,
    );
  }
}
