/**
 * The soak suite's measured run: files are generated into the watched trees while the daemon
 * uploads them, each upload is verified and its file removed, and the daemon's RSS, CPU and
 * confirmed bytes are sampled at a fixed interval.
 *
 *   generator ─ reserve(size) ─► staging ─ rename ─► watched tree ─► daemon ─► 'uploaded' line
 *        ▲                                                                           │
 *        └──────── release(size) ◄── rm file ◄── delete object ◄── verifyUpload ◄───┘
 *
 * The working set bounds the files on disk; verification runs one object at a time, so when it
 * falls behind the set fills and the generator waits: nothing here grows with the run's size
 * except the samples (one per interval). A run that stops making progress (no file written and
 * no upload confirmed for `stallMs`) or whose daemon exits fails with what was pending.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { LogBlockPool } from '../data/log-blocks.js';
import { soakFile, writeSoakFile, type SoakPlan } from '../data/soak-files.js';
import type { DaemonChild, UploadedLine } from './daemon-child.js';
import { cpuTimes, memory, round } from './proc-stats.js';
import type { ServerProcess } from './server-process.js';
import type { Sample } from './soak-stats.js';
import { keeperKey, putKeeper, verifyUpload, type VerifyOptions, type WrittenFile } from './soak-verify.js';
import { loadavg } from './suite-context.js';
import type { WorkingSet } from './working-set.js';

export interface SoakRunOptions {
  readonly watchRoot: string;
  readonly stagingRoot: string;
  readonly plan: SoakPlan;
  readonly pool: LogBlockPool;
  readonly totalBytes: number;
  readonly workingSet: WorkingSet;
  readonly server: ServerProcess;
  readonly verify: VerifyOptions;
  readonly sampleMs: number;
  readonly stallMs: number;
  /**
   * With node --expose-gc: at every sample, ask the daemon's probe (SIGUSR2) for a snapshot, which
   * then records the heap left after a full collection. Its slope is the leak verdict RSS cannot
   * give (RSS also moves with V8's and the allocator's sizing).
   */
  readonly heapSnapshots?: boolean;
  readonly log: (s: string) => void;
}

export interface SoakCounts {
  files: number;
  bytes: number;
  binaryFiles: number;
  binaryBytes: number;
  confirmed: number;
  confirmedBytes: number;
  headOk: number;
  sampled: number;
  multipart: number;
  roundTripOk: number;
  /** Objects with at least one failed check. */
  failedObjects: number;
  /** 'uploaded' lines for paths the harness was not waiting for. */
  unexpected: number;
}

export interface SoakFigures {
  readonly counts: SoakCounts;
  readonly samples: Sample[];
  /** First 50 failure sentences. */
  readonly failures: string[];
  /** Epoch ms when generation started, when the last file was written, and when the last was verified. */
  readonly startedAt: number;
  readonly lastWriteAt: number;
  readonly endedAt: number;
  readonly harnessCpuS: number;
}

const MAX_FAILURES = 50;

export class SoakRun {
  readonly counts: SoakCounts = { files: 0, bytes: 0, binaryFiles: 0, binaryBytes: 0, confirmed: 0, confirmedBytes: 0, headOk: 0, sampled: 0, multipart: 0, roundTripOk: 0, failedObjects: 0, unexpected: 0 };
  private readonly pending = new Map<string, WrittenFile>();
  private readonly failures: string[] = [];
  private readonly samples: Sample[] = [];
  private readonly made = new Set<string>();
  /** Keeper objects put so far (one per object folder). */
  readonly keepers = new Set<string>();
  private verifying: Promise<void> = Promise.resolve();
  private lastProgress = Date.now();
  private lastWriteAt = 0;
  /** Set when the run ends, by success or failure: a generator still waiting stops at its next step. */
  private over = false;
  private fail: (err: Error) => void = () => undefined;
  private readonly failed = new Promise<never>((_, reject) => (this.fail = reject));

  constructor(private readonly o: SoakRunOptions) {}

  /** DaemonChild's onUploaded: queues the check of one upload behind the previous ones. */
  onUploaded(u: UploadedLine): void {
    this.lastProgress = Date.now();
    this.counts.confirmed++;
    this.counts.confirmedBytes += u.sourceBytes;
    this.verifying = this.verifying.then(() => this.check(u));
  }

  async run(daemon: DaemonChild): Promise<SoakFigures> {
    const startedAt = Date.now();
    this.lastProgress = startedAt;
    const cpu0 = cpuTimes(daemon.pid);
    const harness0 = process.cpuUsage();
    const takeSample = (): void => {
      const c = cpuTimes(daemon.pid);
      const rss = memory(daemon.pid)?.rssMb;
      if (c === null || cpu0 === null || rss === undefined) return;
      const s: Sample = { tS: round((Date.now() - startedAt) / 1000, 1), rssMb: round(rss, 1), cpuS: round(c.user + c.sys - cpu0.user - cpu0.sys), sourceBytes: this.counts.confirmedBytes, load1: loadavg()[0] ?? 0 };
      this.samples.push(s);
      if (this.o.heapSnapshots === true) daemon.markEventLoop();
      this.o.log(`  soak ${s.tS} s: ${(this.counts.bytes / 1e9).toFixed(2)} GB written, ${(s.sourceBytes / 1e9).toFixed(2)} GB confirmed, RSS ${s.rssMb} MiB, daemon CPU ${s.cpuS} s, on disk ${(this.o.workingSet.pendingBytes / 2 ** 30).toFixed(2)} GiB, load ${s.load1}`);
    };
    takeSample();
    const sampler = setInterval(takeSample, this.o.sampleMs);
    const watchdog = setInterval(() => this.watch(daemon), 1_000);
    const work = (async () => {
      await this.generate();
      this.lastWriteAt = Date.now();
      while (this.pending.size > 0 && !this.over) await new Promise((r) => setTimeout(r, 200));
      await this.verifying;
    })();
    work.catch(() => undefined); // a failure after the watchdog stopped the run is not news
    try {
      await Promise.race([work, this.failed]);
    } finally {
      this.over = true;
      clearInterval(sampler);
      clearInterval(watchdog);
    }
    const h = process.cpuUsage(harness0);
    return { counts: this.counts, samples: this.samples, failures: this.failures, startedAt, lastWriteAt: this.lastWriteAt, endedAt: Date.now(), harnessCpuS: round((h.user + h.system) / 1e6) };
  }

  private watch(daemon: DaemonChild): void {
    const server = this.o.server.child;
    if (server.exitCode !== null || server.signalCode !== null) {
      this.fail(new Error(`the S3 server (s3rver) exited (${server.exitCode ?? server.signalCode}) with ${this.pending.size} files pending`));
    } else if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) {
      this.fail(new Error(`the daemon exited (${daemon.child.exitCode ?? daemon.child.signalCode}) with ${this.pending.size} files pending; problems: ${JSON.stringify(daemon.problems.slice(-5))}`));
    } else if (Date.now() - this.lastProgress > this.o.stallMs) {
      const first = this.pending.keys().next().value ?? 'none';
      this.fail(new Error(`no file written and no upload confirmed for ${this.o.stallMs / 1000} s; ${this.pending.size} files pending (first: ${first}); problems: ${JSON.stringify(daemon.problems.slice(-5))}`));
    }
  }

  private async generate(): Promise<void> {
    const { plan, pool, workingSet } = this.o;
    for (let i = 0; this.counts.bytes < this.o.totalBytes; i++) {
      const f = soakFile(plan, i);
      await workingSet.reserve(f.bytes);
      if (this.over) return;
      const staged = join(this.o.stagingRoot, f.rel);
      const placed = join(this.o.watchRoot, f.rel);
      await this.mkdirOnce(dirname(staged));
      await this.mkdirOnce(dirname(placed));
      const sha256 = (await writeSoakFile(staged, pool, plan, f, true))!;
      const { mtimeMs } = await stat(staged);
      const written = { index: i, source: f.source, relPath: f.rel.split('/').slice(1).join('/'), bytes: f.bytes, sha256, mtimeMs };
      const keeper = keeperKey(this.o.verify, written);
      if (!this.keepers.has(keeper)) {
        await putKeeper(this.o.server, this.o.verify.bucket, keeper);
        this.keepers.add(keeper);
      }
      this.pending.set(placed, written);
      // Renamed in complete (atomic on one file system), as the other watch suites place files.
      await rename(staged, placed);
      this.counts.files++;
      this.counts.bytes += f.bytes;
      if (f.kind === 'binary') {
        this.counts.binaryFiles++;
        this.counts.binaryBytes += f.bytes;
      }
      this.lastProgress = Date.now();
    }
  }

  private async mkdirOnce(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.made.add(dir);
  }

  private addFailure(s: string): void {
    if (this.failures.length < MAX_FAILURES) this.failures.push(s);
  }

  /** Verifies one upload, then deletes its file and frees its room in the working set. */
  private async check(u: UploadedLine): Promise<void> {
    const f = this.pending.get(u.path);
    if (f === undefined) {
      this.counts.unexpected++;
      this.addFailure(`'uploaded' for ${u.path} (${u.key}), which the harness was not waiting for (uploaded twice?)`);
      return;
    }
    try {
      const r = await verifyUpload(this.o.server, this.o.verify, f, u, u.path);
      if (r.headOk) this.counts.headOk++;
      if (r.sampled) this.counts.sampled++;
      if (r.multipart) this.counts.multipart++;
      if (r.roundTripOk === true) this.counts.roundTripOk++;
      if (r.failures.length > 0) this.counts.failedObjects++;
      for (const x of r.failures) this.addFailure(x);
      await rm(u.path, { force: true });
    } catch (err) {
      this.counts.failedObjects++;
      this.addFailure(`${u.path}: ${(err as Error).message}`);
    }
    this.pending.delete(u.path);
    this.o.workingSet.release(f.bytes);
  }
}
