/**
 * Main-thread side of failure reporting: turns a worker's `WorkerFailure` reply, or a task that
 * piscina rejected (thread exit, uncaught exception, pool torn down), into a TvmError carrying
 * the catalog code, the syscall code and the paths involved. Retriability here is a default
 * for the retry policy, which classifies by `code` in one place.
 */
import { ErrorCodes, TvmError, type ErrorCode, type Retriability } from '../errors.js';
import type { CompressRequest, WorkerFailure } from './protocol.js';

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));

const RETRIABILITY: Partial<Record<ErrorCode, Retriability>> = {
  // The file is gone: nothing to retry.
  [ErrorCodes.FILE_VANISHED]: 'permanent',
  // Permissions or file type: retrying the same file will not help until someone fixes it.
  [ErrorCodes.FILE_UNREADABLE]: 'permanent',
  // Needs a newer runtime or the optional dependency installed.
  [ErrorCodes.CODEC_UNAVAILABLE]: 'operator',
};

const HINTS: Partial<Record<ErrorCode, string>> = {
  [ErrorCodes.CODEC_UNAVAILABLE]: 'run on Node ≥ 22.15 (24 LTS recommended), or install zstd-napi (npm install zstd-napi), or set compression codec to gzip',
  [ErrorCodes.DISK_FULL]: 'free space on the spool filesystem (state_dir) or lower concurrency',
  [ErrorCodes.FILE_UNREADABLE]: 'check the file permissions and that the path is a regular file',
};

function requestDetails(request: CompressRequest): Record<string, unknown> {
  return { sourcePath: request.sourcePath, outputPath: request.outputPath, codec: request.codec };
}

export function failureToError(failure: WorkerFailure, request: CompressRequest): TvmError {
  // A code the catalog does not know means the two sides of the protocol disagree: report it
  // as a worker failure and keep the original code for the log.
  const known = KNOWN_CODES.has(failure.code);
  const code = (known ? failure.code : ErrorCodes.WORKER_FAILED) as ErrorCode;
  const details: Record<string, unknown> = { ...requestDetails(request), syscallCode: failure.syscallCode };
  if (!known) details.workerCode = failure.code;
  return new TvmError(code, failure.message, {
    retriability: RETRIABILITY[code] ?? 'retriable',
    details,
    hint: HINTS[code],
  });
}

/** A task that never produced a reply: the worker thread died or the pool was destroyed. */
export function crashToError(err: unknown, request: CompressRequest): TvmError {
  const reason = err instanceof Error ? err.message : String(err);
  return new TvmError(ErrorCodes.WORKER_FAILED, `compression worker failed on ${request.sourcePath}: ${reason}`, {
    cause: err,
    retriability: 'retriable',
    details: { ...requestDetails(request), syscallCode: null },
  });
}
