/**
 * Signal requests: every signal the daemon answers to has a JavaScript listener from the first
 * line of the process (bin/tvm-upload.js, then src/early-signals.ts), and what a signal asks for
 * waits here until a part of the program is ready to act on it.
 *
 *   SIGTERM, SIGINT ─► 'stop'       SIGHUP ─► 'reload'
 *   SIGUSR1 ────────► 'upload'      SIGUSR2 ─► 'deletion'
 *
 * Why a listener from the first instant: without one, SIGUSR1 opens Node's inspector (anyone on
 * the machine can then run code with the daemon's AWS credentials) and SIGHUP kills the process,
 * which systemd counts as a clean exit. A listener replaces both default actions.
 *
 * Requests are coalesced per kind (one remembered, so the queue is bounded whatever is sent): ten SIGUSR1 during a long start-up scan are one upload pass once the daemon is ready.
 * A stop with nobody to hand it to exits at once with 128 + signal number, as Node would: before
 * a consumer exists nothing has been opened that needs closing, and commands that never take the
 * stop request (status, check-config) stay interruptible with Ctrl-C.
 *
 * It does not decide what a request means; the consumers (src/cli/run.ts) do.
 */
import { constants } from 'node:os';

export type SignalRequest = 'stop' | 'reload' | 'upload' | 'deletion';

export const SIGNAL_REQUESTS: Readonly<Record<string, SignalRequest>> = {
  SIGTERM: 'stop',
  SIGINT: 'stop',
  SIGHUP: 'reload',
  SIGUSR1: 'upload',
  SIGUSR2: 'deletion',
};

/** What bin/tvm-upload.js leaves on globalThis: signals seen before the sources were loaded. */
export const EARLY_SIGNALS_KEY = Symbol.for('tvm-upload.early-signals');
export interface EarlySignals {
  readonly received: string[];
  readonly listeners: Record<string, () => void>;
}

/** The part of `process` used here, injectable for tests. */
export interface SignalSource {
  on(signal: string, fn: () => void): unknown;
  removeListener(signal: string, fn: () => void): unknown;
}

export type RequestHandler = (signal: string) => void;

export class SignalRequests {
  readonly #source: SignalSource;
  readonly #exit: (code: number) => void;
  readonly #listeners = new Map<string, () => void>();
  /** One waiting request per kind (the signal that asked first); stops never wait. */
  readonly #pending = new Map<SignalRequest, string>();
  readonly #handlers = new Map<SignalRequest, RequestHandler>();

  constructor(source: SignalSource, exit: (code: number) => void) {
    this.#source = source;
    this.#exit = exit;
    for (const signal of Object.keys(SIGNAL_REQUESTS)) {
      const fn = (): void => this.receive(signal);
      this.#listeners.set(signal, fn);
      source.on(signal, fn);
    }
  }

  /** Takes over from bin/tvm-upload.js's placeholder listeners, replaying what they saw. */
  adopt(early: EarlySignals | undefined): void {
    if (!early) return;
    for (const [signal, fn] of Object.entries(early.listeners)) this.#source.removeListener(signal, fn);
    for (const signal of early.received.splice(0)) this.receive(signal);
  }

  /** Makes `fn` the consumer of `kind`; requests already waiting are delivered now. */
  handle(kind: SignalRequest, fn: RequestHandler): void {
    this.#handlers.set(kind, fn);
    const waiting = this.#pending.get(kind);
    this.#pending.delete(kind);
    if (waiting !== undefined) fn(waiting);
  }

  /** Stops consuming `kind`: later requests wait again (or, for stop, exit). */
  release(kind: SignalRequest): void {
    this.#handlers.delete(kind);
  }

  /** How many requests of `kind` are waiting for a consumer. */
  pending(kind: SignalRequest): number {
    return this.#pending.has(kind) ? 1 : 0;
  }

  /** Removes the listeners (tests; the process keeps its listeners until it exits). */
  dispose(): void {
    for (const [signal, fn] of this.#listeners) this.#source.removeListener(signal, fn);
    this.#listeners.clear();
  }

  private receive(signal: string): void {
    const kind = SIGNAL_REQUESTS[signal];
    if (kind === undefined) return;
    const handler = this.#handlers.get(kind);
    if (handler) {
      handler(signal);
      return;
    }
    if (kind === 'stop') {
      this.#exit(128 + (constants.signals[signal as NodeJS.Signals] ?? 0));
      return;
    }
    if (!this.#pending.has(kind)) this.#pending.set(kind, signal);
  }
}
