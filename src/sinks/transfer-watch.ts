/**
 * Watches every request body on its way to the socket (body.ts asks the throttle's observer):
 * counts the bytes the HTTP client takes (the cellular budget meters them) and aborts a request
 * that has made no progress — no byte taken, no answer — for `upload.stall_timeout_seconds`,
 * so a hung TCP connection or a server that stopped reading never holds an upload slot forever.
 * The aborted upload fails with TVM_ERR_UPLOAD_STALLED (retriable) and is retried from its
 * checkpoint: multipart parts already acknowledged are kept.
 *
 * It does not decide what to do with the bytes or the stall: the callbacks do.
 */
import { Transform, type Readable } from 'node:stream';
import { ErrorCodes, TvmError } from '../errors.js';
import type { Clock } from '../clock/clock.js';

export interface TransferObserver {
  /** Wraps one request body; `abort` cancels the request. Call release() when the request ends. */
  observe(body: Readable, abort: (err: Error) => void): { readonly body: Readable; release(): void };
}

export interface TransferWatchOptions {
  /** Milliseconds without progress before a request is aborted; 0 = never (read at each check: reloadable). */
  readonly stallMs: () => number;
  readonly onBytes: (bytes: number) => void;
  readonly onStall: () => void;
  readonly timers: Clock;
}

export class TransferWatch implements TransferObserver {
  constructor(private readonly o: TransferWatchOptions) {}

  observe(source: Readable, abort: (err: Error) => void): { readonly body: Readable; release(): void } {
    const { timers, onBytes } = this.o;
    let last = timers.now();
    let timer: unknown = null;
    let released = false;
    const body = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        last = timers.now();
        onBytes(chunk.length);
        callback(null, chunk);
      },
    });
    source.once('error', (err) => body.destroy(err));
    body.once('close', () => {
      if (!source.destroyed) source.destroy();
    });
    source.pipe(body);
    const arm = (): void => {
      const ms = this.o.stallMs();
      if (released || ms <= 0) return;
      timer = timers.setTimeout(check, Math.max(1, last + ms - timers.now()));
    };
    const check = (): void => {
      timer = null;
      const ms = this.o.stallMs();
      if (released || ms <= 0) return;
      if (timers.now() - last < ms) {
        arm();
        return;
      }
      released = true;
      this.o.onStall();
      abort(stalled(ms));
    };
    arm();
    return {
      body,
      release: () => {
        released = true;
        if (timer !== null) timers.clearTimeout(timer);
        timer = null;
      },
    };
  }
}

function stalled(ms: number): TvmError {
  return new TvmError(ErrorCodes.UPLOAD_STALLED, `upload made no progress for ${Math.round(ms / 1000)} s (upload.stall_timeout_seconds); aborted, retried from its checkpoint`, {
    retriability: 'retriable',
  });
}
