/**
 * Reads what an error says about itself across wrappers: `name`, `Code` (AWS SDK service
 * exceptions), `code` (Node system errors, smithy errors), `$metadata.httpStatusCode`,
 * `$retryable`, the message, following `cause` chains and AggregateError members. The
 * reference's classic defect was classifying only the outermost error, so a NoSuchBucket
 * wrapped by the transfer layer fell through to "unexpected"; every classifier reads these
 * signals instead of the top-level object.
 */
import { TvmError } from '../errors.js';

export interface ErrorSignals {
  /** `name` values, outermost first ('Error' omitted: it says nothing). */
  readonly names: readonly string[];
  /** `Code` and `code` string values, outermost first. */
  readonly codes: readonly string[];
  /** The first HTTP status found, if any. */
  readonly status: number | undefined;
  readonly messages: readonly string[];
  /** The SDK marked the failure as throttling. */
  readonly throttling: boolean;
  readonly requestId: string | undefined;
  /** A TvmError somewhere in the chain (already classified). */
  readonly tvm: TvmError | undefined;
}

const MAX_LINKS = 16;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function errorSignals(err: unknown): ErrorSignals {
  const names: string[] = [];
  const codes: string[] = [];
  const messages: string[] = [];
  let status: number | undefined;
  let throttling = false;
  let requestId: string | undefined;
  let tvm: TvmError | undefined;

  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.size < MAX_LINKS) {
    const e = queue.shift();
    if (e === null || e === undefined || seen.has(e)) continue;
    seen.add(e);
    if (typeof e !== 'object') {
      if (typeof e === 'string') messages.push(e);
      continue;
    }
    if (e instanceof TvmError && tvm === undefined) tvm = e;
    const o = e as Record<string, unknown>;
    const name = str(o.name);
    if (name !== undefined && name !== 'Error') names.push(name);
    for (const c of [str(o.Code), str(o.code)]) {
      if (c !== undefined && !codes.includes(c)) codes.push(c);
    }
    const msg = str(o.message);
    if (msg !== undefined) messages.push(msg);
    const meta = o.$metadata as Record<string, unknown> | undefined;
    if (meta && typeof meta === 'object') {
      if (status === undefined && typeof meta.httpStatusCode === 'number') status = meta.httpStatusCode;
      requestId ??= str(meta.requestId);
    }
    if (status === undefined && typeof o.statusCode === 'number') status = o.statusCode;
    const retryable = o.$retryable as Record<string, unknown> | undefined;
    if (retryable && typeof retryable === 'object' && retryable.throttling === true) throttling = true;
    if ('cause' in o) queue.push(o.cause);
    if (Array.isArray(o.errors)) queue.push(...(o.errors as unknown[]));
  }
  return { names, codes, status, messages, throttling, requestId, tvm };
}

/** True when any name or code in the chain is one of `wanted`. */
export function hasAny(signals: ErrorSignals, wanted: ReadonlySet<string>): string | undefined {
  return signals.codes.find((c) => wanted.has(c)) ?? signals.names.find((n) => wanted.has(n));
}
