/**
 * Sends one S3 request whose body is a byte range of a file on disk, streamed (never buffered:
 * memory per request ≈ the stream highWaterMark), or a small output the worker handed back in
 * memory (sent in highWaterMark slices), and passed through the shared bandwidth throttle and
 * its transfer watch either way. The SDK pipes the body with `pipe()`, which does not forward read errors, so a file
 * that vanishes mid-request would leave the request hanging until the socket timeout; here a
 * body error aborts the request at once and is what the caller sees. The file descriptor is
 * always released, whatever happens to the request.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Throttle } from '../throttle.js';

export const BODY_HIGH_WATER_MARK = 64 * 1024;

export interface StreamRequest<Cmd> {
  readonly client: Pick<S3Client, 'send'>;
  readonly path: string;
  /** The body already in memory: sent instead of reading `path`, which then only names it. */
  readonly bytes?: Uint8Array | undefined;
  /** Inclusive byte range of `path`; omit for the whole file. */
  readonly start?: number;
  readonly end?: number;
  readonly throttle?: Throttle | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly build: (body: Readable) => Cmd;
}

/** `bytes` as a stream of slices: the throttle and the stall watch see progress at the same grain as a file's. */
function memoryStream(bytes: Uint8Array): Readable {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slices: Buffer[] = [];
  for (let off = 0; off < buffer.length; off += BODY_HIGH_WATER_MARK) slices.push(buffer.subarray(off, off + BODY_HIGH_WATER_MARK));
  return Readable.from(slices, { objectMode: false, highWaterMark: BODY_HIGH_WATER_MARK });
}

export async function sendFileBody<Cmd, Out>(req: StreamRequest<Cmd>): Promise<Out> {
  const file = req.bytes !== undefined ? memoryStream(req.bytes) : createReadStream(req.path, {
    start: req.start,
    end: req.end,
    highWaterMark: BODY_HIGH_WATER_MARK,
  });
  const local = new AbortController();
  let bodyError: unknown;
  const onBodyError = (err: unknown): void => {
    bodyError ??= err;
    local.abort(err);
  };
  const throttled = req.throttle ? req.throttle.wrap(file) : file;
  // Byte metering and the stall watchdog (sinks/transfer-watch.ts) ride on the shared throttle.
  const watched = req.throttle?.observer?.observe(throttled, onBodyError) ?? null;
  const body = watched?.body ?? throttled;
  body.on('error', onBodyError);
  // The caller's signal is linked by hand rather than with AbortSignal.any(): the listener is
  // removed when the request ends, so a daemon-wide signal never accumulates per-request state.
  const outer = req.signal;
  const onOuterAbort = (): void => local.abort(outer?.reason);
  if (outer?.aborted) local.abort(outer.reason);
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    const send = req.client.send as unknown as (cmd: Cmd, opts: { abortSignal: AbortSignal }) => Promise<Out>;
    return await send.call(req.client, req.build(body), { abortSignal: local.signal });
  } catch (err) {
    throw bodyError ?? err;
  } finally {
    watched?.release();
    outer?.removeEventListener('abort', onOuterAbort);
    if (!body.destroyed) body.destroy();
    if (!throttled.destroyed) throttled.destroy();
    if (!file.destroyed) file.destroy();
    // Late errors (e.g. from destroy) must not become unhandled 'error' events.
    body.on('error', () => undefined);
    body.off('error', onBodyError);
  }
}
