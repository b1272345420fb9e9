/**
 * The last line of defence: process-wide handlers for an error nothing else caught. Every stage
 * handles its own failures (retry policy, Health), so reaching here is a bug; it is logged with
 * full context, never silently dropped. The process keeps running when the state is known to be
 * sound (an unhandled rejection: one operation lost, the rest intact; a retriable catalog error),
 * and exits non-zero (EX_SOFTWARE, 70) when it is not (any other uncaught exception leaves the
 * stack unwound at an unknown point), so systemd restarts it; start-up recovery is crash-safe.
 *
 * It does not restart anything itself and knows nothing of the daemon: main.ts installs it, the
 * daemon hands it its logger once it has one (before that, JSON lines go to stderr → journald).
 */
import type { EventEmitter } from 'node:events';
import { TvmError } from './errors.js';

export const EXIT_SOFTWARE = 70;

export interface GuardLogger {
  error(obj: object, msg: string): void;
  fatal(obj: object, msg: string): void;
}

const stderrLogger: GuardLogger = {
  error: (obj, msg) => writeStderr('error', obj, msg),
  fatal: (obj, msg) => writeStderr('fatal', obj, msg),
};

function writeStderr(level: string, obj: object, msg: string): void {
  const err = (obj as { err?: unknown }).err;
  const line = { level, time: Date.now(), msg, ...obj, ...(err instanceof Error ? { err: { type: err.name, message: err.message, stack: err.stack } } : {}) };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

let logger: GuardLogger = stderrLogger;

/** Where the handlers log from now on (the daemon's logger, with its redaction). */
export function setGuardLogger(l: GuardLogger | null): void {
  logger = l ?? stderrLogger;
}

/** True when the process cannot be trusted to go on after this uncaught exception. */
export function isFatal(err: unknown): boolean {
  return !(err instanceof TvmError && err.retriability !== 'permanent');
}

/** The process, or an EventEmitter standing in for it in tests. */
export type GuardTarget = Pick<EventEmitter, 'on' | 'off'>;

/** Installs both handlers on `proc`; returns a function that removes them. */
export function installProcessGuards(proc: GuardTarget = process, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  const onRejection = (reason: unknown): void => {
    logger.error({ err: reason, event: 'unhandledRejection' }, `unhandled promise rejection: ${describe(reason)} (a bug: that operation was lost; the daemon keeps running)`);
  };
  const onException = (err: Error, origin: string): void => {
    if (!isFatal(err)) {
      logger.error({ err, event: 'uncaughtException', origin }, `uncaught error: ${describe(err)} (retriable; the daemon keeps running)`);
      return;
    }
    logger.fatal({ err, event: 'uncaughtException', origin }, `fatal uncaught exception: ${describe(err)}; exiting with ${EXIT_SOFTWARE} so the service manager restarts tvm-upload`);
    exit(EXIT_SOFTWARE);
  };
  proc.on('unhandledRejection', onRejection);
  proc.on('uncaughtException', onException);
  return () => {
    proc.off('unhandledRejection', onRejection);
    proc.off('uncaughtException', onException);
  };
}

function describe(v: unknown): string {
  if (v instanceof TvmError) return `${v.code}: ${v.message}`;
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  return String(v);
}
