/**
 * The file-system error table: what a failing read of a log file (or the spool) means, as one
 * catalog code with a retriability and a hint. Reads error signals (error-chain.ts), so wrapped
 * errors classify like bare ones; null when nothing in the error is a known system code.
 */
import { TvmError, ErrorCodes, type ErrorCode, type Retriability } from '../errors.js';
import type { ErrorSignals } from './error-chain.js';

export interface FsErrorContext {
  readonly path?: string;
  readonly bucket?: string;
  readonly key?: string;
}

const FS_RULES: Record<string, { code: ErrorCode; retriability: Retriability; what: string; hint: string }> = {
  ENOENT: {
    code: ErrorCodes.FILE_VANISHED,
    retriability: 'retriable',
    what: 'disappeared before it could be uploaded',
    hint: 'the file is picked up again if it reappears; a missing spool file is recompressed',
  },
  EACCES: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'operator',
    what: 'cannot be read (permission denied)',
    hint: 'give the tvm-upload user read access to the log directory',
  },
  EPERM: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'operator',
    what: 'cannot be read (operation not permitted)',
    hint: 'give the tvm-upload user read access to the log directory',
  },
  EISDIR: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'permanent',
    what: 'is a directory',
    hint: 'only regular files are uploaded',
  },
  EIO: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'retriable',
    what: 'cannot be read (I/O error)',
    hint: 'check the disk holding the logs',
  },
  ELOOP: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'operator',
    what: 'cannot be reached (too many levels of symbolic links)',
    hint: 'a symbolic-link loop in the path; fix the links in the log directory',
  },
  EMFILE: {
    code: ErrorCodes.FILE_UNREADABLE,
    retriability: 'retriable',
    what: 'cannot be opened (too many open files)',
    hint: 'raise the open-file limit (LimitNOFILE) or lower upload.concurrency',
  },
  ENOSPC: {
    code: ErrorCodes.DISK_FULL,
    retriability: 'retriable',
    what: 'cannot be processed: the disk is full',
    hint: 'free space on the spool/state filesystem',
  },
};

export function classifyFsSignals(err: unknown, signals: ErrorSignals, ctx: FsErrorContext): TvmError | null {
  const sys = signals.codes.find((c) => c in FS_RULES);
  if (sys === undefined) return null;
  const rule = FS_RULES[sys]!;
  const path = ctx.path ?? findPath(err) ?? ctx.key ?? '?';
  const details: Record<string, unknown> = { path, syscallCode: sys };
  if (ctx.bucket !== undefined) details.bucket = ctx.bucket;
  if (ctx.key !== undefined) details.key = ctx.key;
  return new TvmError(rule.code, `${path} ${rule.what}`, {
    cause: err,
    retriability: rule.retriability,
    details,
    hint: rule.hint,
  });
}

function findPath(err: unknown): string | undefined {
  for (let e = err, i = 0; e && typeof e === 'object' && i < 8; e = (e as { cause?: unknown }).cause, i++) {
    const p = (e as { path?: unknown }).path;
    if (typeof p === 'string') return p;
  }
  return undefined;
}
