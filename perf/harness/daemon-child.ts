/**
 * The real daemon (`tvm-upload run`) as a child process, instrumented from outside: the
 * event-loop probe is preloaded with `--import`, CPU and memory come from /proc, progress comes
 * from its JSON log lines ('tvm-upload running', one 'uploaded' line per confirmed object).
 *
 * Lines are counted as they arrive (nothing rescans the whole log), so following 10,000 uploads
 * costs the measuring process almost nothing on a 2-core machine where it competes with the
 * daemon and the server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../../test/support/child-env.js';
import type { Runtime } from './runtime.js';
import { RssSampler, memory } from './proc-stats.js';

/** Log lines kept for a failed run's report (the latest ones; ≈ 60 MB at most). */
const MAX_KEPT_LINES = 200_000;

export const PROBE = fileURLToPath(new URL('../eventloop-probe.mjs', import.meta.url));

export interface EventLoopSnapshot {
  readonly seq: number;
  readonly label: string;
  /** Epoch ms when the probe wrote it. */
  readonly at: number;
  readonly resolutionMs: number;
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Peaks of the main isolate's process.memoryUsage() fields over the window, MiB. */
  readonly heapPeakMb?: Record<string, number>;
  /** Only with --expose-gc: heapUsed after a full collection at the snapshot, MiB. */
  readonly heapUsedAfterGcMb?: number;
}

export interface DaemonChildOptions {
  readonly runtime: Runtime;
  readonly configPath: string;
  readonly env: NodeJS.ProcessEnv;
  readonly eldFile: string;
  readonly eldResolutionMs?: number;
  /** How often the probe samples heap figures (0: only at snapshots, for the idle suite). */
  readonly memSampleMs?: number;
  /** Extra node/V8 flags for the daemon process (e.g. --max-semi-space-size=1). */
  readonly nodeFlags?: readonly string[];
  /** Called for every 'uploaded' line (the soak suite verifies and removes each file as it goes). */
  readonly onUploaded?: (u: UploadedLine) => void;
}

/** The fields of one 'uploaded' log line. */
export interface UploadedLine {
  readonly path: string;
  readonly key: string;
  readonly sourceBytes: number;
  readonly sentBytes: number;
  readonly codec: string;
  /** The daemon's own timestamp, epoch ms. */
  readonly timeMs: number;
}

/** The daemon's own timestamp of a line (pino ISO time), or now when it has none. */
function logTime(t: unknown): number {
  const ms = typeof t === 'string' ? Date.parse(t) : NaN;
  return Number.isFinite(ms) ? ms : Date.now();
}

interface Waiter {
  readonly check: () => boolean;
  readonly resolve: () => void;
}

export class DaemonChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly spawnedAt = Date.now();
  runningAt: number | null = null;
  /** Epoch ms (the daemon's own log time) of each 'uploaded' line, in arrival order. */
  readonly uploadTimes: number[] = [];
  /** Body bytes sent for each of those uploads. */
  readonly uploadSent: number[] = [];
  sentBytes = 0;
  sourceBytes = 0;
  readonly codecs: Record<string, number> = {};
  /** Files per `codec-level` ("gzip-6", "gzip-8"): what a capped run raised the level to. */
  readonly levels: Record<string, number> = {};
  /** Warnings and errors the daemon logged (first 50), kept for the result. */
  readonly problems: string[] = [];
  readonly samplePaths: { path: string; key: string }[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly sampler: RssSampler;
  private exitedNow = false;
  private waiters: Waiter[] = [];

  constructor(private readonly o: DaemonChildOptions) {
    const args = [...(o.nodeFlags ?? []), '--import', PROBE, ...o.runtime.args(['run', '--config', o.configPath])];
    this.child = spawn(process.execPath, args, {
      env: childEnv({
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        PERF_ELD_FILE: o.eldFile,
        PERF_ELD_RESOLUTION: String(o.eldResolutionMs ?? 10),
        PERF_MEM_SAMPLE_MS: String(o.memSampleMs ?? 250),
        ...o.env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) throw new Error('could not spawn the daemon');
    this.pid = this.child.pid;
    this.sampler = new RssSampler(this.pid, { intervalMs: 250 }).start();
    createInterface({ input: this.child.stdout! }).on('line', (l) => this.onLine(l));
    this.child.stderr!.on('data', (d: Buffer) => this.stderr.push(d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.exitedNow = true;
        this.wakeAll();
        resolve({ code, signal });
      }),
    );
  }

  get uploaded(): number {
    return this.uploadTimes.length;
  }

  /**
   * The lines the daemon wrote (the latest MAX_KEPT_LINES), so a run that fails leaves its log behind:
   * a stall is diagnosed from what the daemon said, not from a count.
   */
  private readonly rawLines: string[] = [];

  private onLine(text: string): void {
    if (this.rawLines.length >= MAX_KEPT_LINES) this.rawLines.splice(0, MAX_KEPT_LINES / 2);
    this.rawLines.push(text);
    let l: { level?: string; msg?: string; time?: string; [k: string]: unknown };
    try {
      l = JSON.parse(text) as typeof l;
    } catch {
      this.problems.push(`non-JSON output: ${text.slice(0, 200)}`);
      return;
    }
    if (l.msg === 'uploaded') {
      this.uploadTimes.push(logTime(l.time));
      this.uploadSent.push(Number(l.sentBytes ?? 0));
      this.sentBytes += Number(l.sentBytes ?? 0);
      this.sourceBytes += Number(l.sourceBytes ?? 0);
      const codec = String(l.codec ?? 'unknown');
      this.codecs[codec] = (this.codecs[codec] ?? 0) + 1;
      if (typeof l.codecLevel === 'number') this.levels[`${codec}-${l.codecLevel}`] = (this.levels[`${codec}-${l.codecLevel}`] ?? 0) + 1;
      if (this.samplePaths.length < 64 && typeof l.path === 'string' && typeof l.key === 'string') this.samplePaths.push({ path: l.path, key: l.key });
      this.o.onUploaded?.({ path: String(l.path), key: String(l.key), sourceBytes: Number(l.sourceBytes ?? 0), sentBytes: Number(l.sentBytes ?? 0), codec, timeMs: this.uploadTimes[this.uploadTimes.length - 1]! });
    } else if (l.msg === 'tvm-upload running') {
      this.runningAt = logTime(l.time);
    }
    if ((l.level === 'warn' || l.level === 'error' || l.level === 'fatal') && this.problems.length < 50) this.problems.push(`${l.level}: ${String(l.msg)}`);
    this.wakeAll();
  }

  private wakeAll(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.check() && !this.exitedNow) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves when `pred` holds; rejects on exit or timeout with the last problems logged. */
  async until(pred: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (pred()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.describe()}`)), timeoutMs);
      this.waiters.push({
        check: pred,
        resolve: () => {
          clearTimeout(timer);
          if (pred()) resolve();
          else reject(new Error(`daemon exited before ${what}; ${this.describe()}`));
        },
      });
    });
  }

  private describe(): string {
    return `uploaded ${this.uploaded}; problems: ${JSON.stringify(this.problems.slice(-5))}; stderr: ${this.stderr.join('').slice(-500)}; daemon log: ${this.keepLog()}`;
  }

  /** Writes the daemon's log to a file for a failed run; returns its path (or why not). */
  private keepLog(): string {
    const path = join(tmpdir(), `tvm-perf-daemon-${this.pid}.log`);
    try {
      writeFileSync(path, this.rawLines.join('\n') + '\n');
      return path;
    } catch (err) {
      return `not kept (${(err as Error).message})`;
    }
  }

  waitRunning(timeoutMs = 120_000): Promise<void> {
    return this.until(() => this.runningAt !== null, "'tvm-upload running'", timeoutMs);
  }

  waitUploaded(n: number, timeoutMs: number): Promise<void> {
    return this.until(() => this.uploaded >= n, `${n} 'uploaded' lines`, timeoutMs);
  }

  /** Closes the current event-loop window (the probe appends a snapshot and resets). */
  markEventLoop(): void {
    this.child.kill('SIGUSR2');
  }

  /** The kernel's high-water mark now, while the process lives. */
  hwmMb(): number {
    return memory(this.pid)?.hwmMb ?? 0;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit. */
  async stop(graceMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exitedNow) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  eventLoopSnapshots(): EventLoopSnapshot[] {
    if (!existsSync(this.o.eldFile)) return [];
    return readFileSync(this.o.eldFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as EventLoopSnapshot);
  }
}
