/**
 * Worker-side failure classification. Every expected way a compression request can fail becomes a
 * `CompressFailure` carrying a catalog code, thrown where the cause is known (source side, output
 * side, codec loading) and turned into a plain `WorkerFailure` reply at the worker boundary.
 * The split matters: the same errno means different things on each side (EACCES on the source
 * is an unreadable log file; ENOSPC on the output is a full spool disk).
 *
 * Runs inside the worker thread only; the main thread maps replies to TvmError in pool-errors.ts.
 */
import { ErrorCodes, systemCode, type ErrorCode } from '../errors.js';
import type { WorkerFailure } from './protocol.js';

export class CompressFailure extends Error {
  readonly code: ErrorCode;
  readonly syscallCode: string | null;

  constructor(code: ErrorCode, message: string, syscallCode: string | null = null, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'CompressFailure';
    this.code = code;
    this.syscallCode = syscallCode;
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The errno name (ENOENT, EACCES …) of a system error; Node's own ERR_* codes are not syscalls. */
export function syscallCodeOf(err: unknown): string | null {
  const code = systemCode(err);
  return code !== undefined && /^E[A-Z0-9]+$/.test(code) ? code : null;
}

/** An error while opening, stat-ing or reading the source file. */
export function sourceFailure(err: unknown, path: string): CompressFailure {
  if (err instanceof CompressFailure) return err;
  const sys = syscallCodeOf(err);
  if (sys === 'ENOENT' || sys === 'ENOTDIR') {
    return new CompressFailure(ErrorCodes.FILE_VANISHED, `source file vanished: ${path}`, sys, err);
  }
  if (sys === 'ELOOP') {
    return new CompressFailure(ErrorCodes.FILE_UNREADABLE, `source ${path} is now a symbolic link; links are never followed (O_NOFOLLOW)`, sys, err);
  }
  return new CompressFailure(ErrorCodes.FILE_UNREADABLE, `cannot read source file ${path}: ${describe(err)}`, sys, err);
}

/** An error while creating, writing, syncing or renaming the spool output. */
export function outputFailure(err: unknown, path: string): CompressFailure {
  if (err instanceof CompressFailure) return err;
  const sys = syscallCodeOf(err);
  if (sys === 'ENOSPC' || sys === 'EDQUOT') {
    return new CompressFailure(ErrorCodes.DISK_FULL, `disk full while writing ${path}`, sys, err);
  }
  // No catalog code names "spool not writable"; WORKER_FAILED keeps it retriable and the
  // syscall code tells the operator what happened (EACCES, EROFS, EIO …).
  return new CompressFailure(ErrorCodes.WORKER_FAILED, `cannot write compressed output ${path}: ${describe(err)}`, sys, err);
}

/** The reply for any error that reaches the worker boundary. */
export function toWorkerFailure(err: unknown): WorkerFailure {
  if (err instanceof CompressFailure) {
    return { kind: 'failed', code: err.code, message: err.message, syscallCode: err.syscallCode };
  }
  return {
    kind: 'failed',
    code: ErrorCodes.WORKER_FAILED,
    message: `compression failed: ${describe(err)}`,
    syscallCode: syscallCodeOf(err),
  };
}
