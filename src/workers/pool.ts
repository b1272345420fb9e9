/**
 * CompressPool: the main-thread facade over a piscina pool of compression workers. It validates
 * options, bounds the work it accepts (running + queued ≤ threads + maxQueue, a second fence
 * behind the dispatcher, which only submits when it has a slot), translates replies into
 * CompressResult or TvmError, and owns the lifecycle: `close()` drains, `destroy()` cancels,
 * both idempotent. A crashed worker thread fails only the request it was running; piscina starts a
 * replacement and the pool keeps working.
 *
 * Files of at most INLINE_MAX_BYTES skip the threads: the worker's own entry runs them on the
 * calling thread, because a round trip to a thread costs more than compressing them.
 *
 * Memory budget: the main thread holds request metadata, and per result a small output moved back
 * in memory (at most the request's memoryMaxBytes) until its upload ends. Each thread holds, per running request,
 * a few READ_CHUNK_BYTES of stream buffers, the 1 MiB sample and its compressed copy, plus codec
 * state (measured RSS: gzip ≈ 1 MiB, zstd-3 ≈ 4 MiB, zstd-9 ≈ 20 MiB, zstd-19 ≈ 90 MiB).
 * Worst case ≈ threads × (4 MiB + codec state), independent of file size; queued requests cost
 * nothing but their metadata.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ErrorCodes, TvmError } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { crashToError, failureToError } from './pool-errors.js';
// The worker's own entry, for small files run on this thread. Imported statically: the same module
// instances as the rest of the process (a dynamic import under tsx loaded a second copy of the
// engine's modules, which also split their coverage in two).
import { handleRequest } from './compress.worker.js';
import type { CompressRequest, CompressResult, WorkerReply } from './protocol.js';

export interface CompressPoolOptions {
  /** Worker threads; each runs one request at a time. */
  readonly threads: number;
  /** Requests accepted beyond the running ones (default threads × 2). */
  readonly maxQueue?: number;
  readonly logger: Logger;
  /** A thread idle this long is retired; the next request starts a new one (default IDLE_RETIRE_MS). */
  readonly idleTimeoutMs?: number;
  /** Worker module to load instead of compress.worker.{ts,js}; test fixtures use it. */
  readonly workerFile?: string;
  /** Files up to this size are compressed on the calling thread (default INLINE_MAX_BYTES; 0: never). */
  readonly inlineMaxBytes?: number;
}

/**
 * Files this small are compressed on the main thread, through the same engine and the same
 * request checks as a worker, instead of a round trip to a worker thread. Measured on this
 * machine (gzip-6, 4 requests in flight, 1,000-2,000 log files, docs/PERFORMANCE.md): at 4 KiB a
 * worker round trip costs 0.43-0.55 ms of CPU per file and compressing inline 0.18 ms, for 0.05 ms
 * more on the main thread; at 16 KiB 0.55-0.82 vs 0.23-0.24 ms, main thread about even. At 64 KiB
 * the main thread pays 0.2 ms more per file and at 256 KiB 0.8 ms (a synchronous gzip of that
 * size holds the event loop), so the bound stays at 16 KiB. In the whole small-files suite the
 * main thread paid more than this benchmark says (0.14-0.38 ms per 4 KiB file) for 5 % less CPU
 * in all: kept, because total CPU is what the daemon takes from the vehicle.
 */
export const INLINE_MAX_BYTES = 16 * 1024;

/**
 * Threads start on the first request and retire after this much idleness: an idle isolate holds
 * ≈ 13 MiB (docs/PERFORMANCE.md), a vehicle that is not uploading should not pay for it, and
 * starting a thread again costs one module load, paid once per burst of files rather than per file.
 */
export const IDLE_RETIRE_MS = 30_000;

/**
 * Heap limits per compression thread. The worker's own JavaScript heap is small (request metadata,
 * hashes; the stream chunks, samples and codec state are native memory, outside these limits),
 * so a tight young generation keeps V8 from growing it to tens of MiB of garbage between
 * collections, and a thread that runs away dies alone (its request fails as WORKER_FAILED and is
 * retried) instead of taking the vehicle's memory.
 */
export const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 48 } as const;

/** compress.worker.ts beside this module when it runs from source (tsx), .js when built. */
export function resolveWorkerFile(moduleUrl: string = import.meta.url): string {
  const self = fileURLToPath(moduleUrl);
  return join(dirname(self), self.endsWith('.ts') ? 'compress.worker.ts' : 'compress.worker.js');
}

/**
 * Worker threads inherit the parent's execArgv, so a parent started with `--import tsx` (mocha,
 * `tsx src/main.ts`) can load a .ts worker as is. A .ts worker under a parent without tsx in its
 * flags (tsx registered programmatically) needs the hook added explicitly.
 */
export function workerExecArgv(workerFile: string, parentExecArgv: readonly string[] = process.execArgv): string[] | undefined {
  if (!workerFile.endsWith('.ts')) return undefined;
  if (parentExecArgv.some((arg) => arg.includes('tsx'))) return undefined;
  return [...parentExecArgv, '--import', 'tsx'];
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TvmError(ErrorCodes.INTERNAL, `CompressPool: ${name} must be an integer >= ${min}, got ${String(value)}`, {
      retriability: 'permanent',
    });
  }
}

export class CompressPool {
  readonly threads: number;
  readonly maxQueue: number;
  readonly workerFile: string;
  readonly inlineMaxBytes: number;
  readonly #piscina: Piscina<CompressRequest, WorkerReply>;
  readonly #logger: Logger;
  readonly #inFlight = new Set<Promise<unknown>>();
  /**
   * Aborts the requests waiting in piscina's queue when the thread started for them dies before it
   * is ready (a bad worker file): piscina then neither starts another thread nor fails the
   * queued tasks, so without this they would wait forever. Replaced after each use.
   */
  #stranded = new AbortController();
  #closing: Promise<void> | null = null;
  #destroying: Promise<void> | null = null;

  constructor(options: CompressPoolOptions) {
    checkCount('threads', options.threads, 1);
    this.threads = options.threads;
    this.maxQueue = options.maxQueue ?? options.threads * 2;
    checkCount('maxQueue', this.maxQueue, 0);
    this.workerFile = options.workerFile ?? resolveWorkerFile();
    // A custom worker module (a test fixture) is there to handle every request itself.
    this.inlineMaxBytes = options.inlineMaxBytes ?? (options.workerFile === undefined ? INLINE_MAX_BYTES : 0);
    checkCount('inlineMaxBytes', this.inlineMaxBytes, 0);
    this.#logger = options.logger;
    this.#piscina = new Piscina<CompressRequest, WorkerReply>({
      filename: this.workerFile,
      minThreads: 0,
      maxThreads: this.threads,
      idleTimeout: options.idleTimeoutMs ?? IDLE_RETIRE_MS,
      resourceLimits: WORKER_RESOURCE_LIMITS,
      // Our own fence (hasCapacity) keeps piscina's queue within this bound.
      maxQueue: this.maxQueue,
      // With the default 'sync', an idle worker blocks in Atomics.wait: its event loop stops, so
      // a crash or a pending close after a reply only surfaces during the next request. Requests take
      // milliseconds to minutes, so the faster hand-off buys nothing here.
      atomics: 'disabled',
      execArgv: workerExecArgv(this.workerFile),
    });
    // Without a listener, an 'error' event (bad worker file, worker crashing while idle) would
    // be thrown on the main thread and kill the daemon.
    this.#piscina.on('error', (err: unknown) => {
      this.#logger.error({ err, workerFile: this.workerFile }, 'compression worker pool error');
      if (this.#piscina.threads.length === 0 && this.#piscina.queueSize > 0) {
        this.#stranded.abort(err);
        this.#stranded = new AbortController();
      }
    });
  }

  /** Threads alive now: 0 until the first request, and again once they have idled IDLE_RETIRE_MS. */
  get liveThreads(): number {
    return this.#piscina.threads.length;
  }

  /** Requests accepted and not yet settled (running or queued). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  get isOpen(): boolean {
    return this.#closing === null && this.#destroying === null;
  }

  /** True when run() would accept another request now. */
  hasCapacity(): boolean {
    return this.isOpen && this.#inFlight.size < this.threads + this.maxQueue;
  }

  /**
   * Compresses one file. Rejects with a TvmError whose code is the worker's failure code
   * (FILE_VANISHED, FILE_CHANGED, …) or WORKER_FAILED when the thread died; with the signal's
   * AbortError when `signal` aborts.
   */
  run(request: CompressRequest, signal?: AbortSignal): Promise<CompressResult> {
    if (!this.isOpen) {
      return Promise.reject(new TvmError(ErrorCodes.INTERNAL, `compression pool is closed; not compressing ${request.sourcePath}`));
    }
    if (!this.hasCapacity()) {
      return Promise.reject(new TvmError(ErrorCodes.INTERNAL, `compression pool is full (${this.inFlight} jobs in flight); the caller must wait for a slot`, {
        details: { sourcePath: request.sourcePath, threads: this.threads, maxQueue: this.maxQueue },
      }));
    }
    const task = this.#execute(request, signal);
    this.#inFlight.add(task);
    const forget = (): void => void this.#inFlight.delete(task);
    task.then(forget, forget);
    return task;
  }

  async #execute(request: CompressRequest, signal: AbortSignal | undefined): Promise<CompressResult> {
    const reply = request.expectedSize <= this.inlineMaxBytes ? await this.#inline(request, signal) : await this.#onThread(request, signal);
    if (reply?.kind === 'compressed') return reply;
    if (reply?.kind === 'failed') throw failureToError(reply, request);
    throw crashToError(new Error(`unknown reply from worker: ${JSON.stringify(reply)}`), request);
  }

  async #onThread(request: CompressRequest, signal: AbortSignal | undefined): Promise<WorkerReply> {
    const stranded = this.#stranded.signal;
    try {
      return await this.#piscina.run(request, { signal: signal ? AbortSignal.any([signal, stranded]) : stranded });
    } catch (err) {
      if (stranded.aborted) throw crashToError(stranded.reason, request);
      if (isAbort(err)) throw err;
      throw crashToError(err, request);
    }
  }

  /** A small file on this thread: the worker's own entry (request checks, engine, failure replies). */
  async #inline(request: CompressRequest, signal: AbortSignal | undefined): Promise<WorkerReply> {
    // Like piscina for a task aborted before it started: nothing has been read yet.
    if (signal?.aborted === true) throw Object.assign(new Error('The task has been aborted', { cause: signal.reason }), { name: 'AbortError' });
    return handleRequest(request);
  }

  /** Stops accepting requests, waits for every accepted request to settle, then ends the threads. */
  close(): Promise<void> {
    if (this.#destroying !== null) return this.#destroying;
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inFlight]);
      await this.#piscina.destroy();
    })();
    return this.#closing;
  }

  /** Stops accepting requests and terminates the threads now; running and queued requests reject with WORKER_FAILED. */
  destroy(): Promise<void> {
    this.#destroying ??= this.#piscina.destroy();
    return this.#destroying;
  }
}
