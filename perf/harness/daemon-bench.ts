/**
 * One measured run of the real daemon over a suite's data set:
 *
 *   watch    daemon started on empty trees → files renamed in from staging (atomic, so each file
 *            is complete the moment it appears) → clock starts when the last one is in place →
 *            stops at the last 'uploaded' line (the daemon's own timestamp).
 *   backlog  files already in the trees, dated 10 minutes back (as after a reboot) → clock starts
 *            at process spawn, so start-up (migrations, worker threads, the scan) is included.
 *
 * CPU of daemon and server is the /proc difference over the window; the event-loop window is cut
 * by SIGUSR2 to the probe; memory is VmHWM read just before SIGTERM plus the sampled RSS. After
 * the window: bucket listing (must hold every file), a content spot check, files moved back.
 */
import { mkdir, rename, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Dataset } from '../data/file-set.js';
import type { DaemonResult, EventLoop } from '../result-types.js';
import { DaemonChild } from './daemon-child.js';
import { writeDaemonConfig, type Tuning } from './daemon-config.js';
import { memoryBudget } from './memory-budget.js';
import { cpuTimes, diffCpu, memory, round, threadCpu, threadSplit, type CpuTimes } from './proc-stats.js';
import type { Runtime } from './runtime.js';
import { SERVER_CREDENTIALS, type ServerProcess } from './server-process.js';
import { verifySample } from './verify.js';

export interface BenchContext {
  readonly workDir: string;
  readonly dataset: Dataset;
  readonly server: ServerProcess;
  readonly runtime: Runtime;
  readonly log: (s: string) => void;
}

export interface VariantSpec {
  readonly name: string;
  readonly description: string;
  readonly mode: 'watch' | 'backlog';
  readonly tuning: Tuning;
  readonly bucket: string;
  /** node/V8 flags for the daemon process: deployment settings, not configuration keys. */
  readonly nodeFlags?: readonly string[];
  /** Extra environment for the daemon process (e.g. MALLOC_ARENA_MAX), also a deployment setting. */
  readonly env?: Readonly<Record<string, string>>;
}

export const DAEMON_ENV: NodeJS.ProcessEnv = {
  AWS_ACCESS_KEY_ID: SERVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: SERVER_CREDENTIALS.secretAccessKey,
  AWS_PROFILE: '',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  TVM_UPLOAD_LOG_LEVEL: 'info',
};

/**
 * Renames every data set file from one root to another (same file system), creating folders.
 * `ignoreMissing` is for putting files back after a failed run, when some never moved.
 */
export async function moveFiles(dataset: Dataset, from: string, to: string, ignoreMissing = false): Promise<void> {
  const made = new Set<string>();
  for (const f of dataset.files) {
    const dest = join(to, f.rel);
    const dir = dirname(dest);
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    try {
      await rename(join(from, f.rel), dest);
    } catch (err) {
      if (!ignoreMissing || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

const ZERO: CpuTimes = { user: 0, sys: 0 };

export function toEventLoop(s: { resolutionMs: number; count: number; meanMs: number; p50Ms: number; p99Ms: number; maxMs: number } | undefined): EventLoop | null {
  if (!s) return null;
  return { resolutionMs: s.resolutionMs, samples: s.count, meanMs: s.meanMs, p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs };
}

/** Generous: a 2-core machine shared with other work can be several times slower than usual. */
function timeoutFor(dataset: Dataset, tuning: Tuning): number {
  const rate = tuning.maxMbps !== undefined ? (tuning.maxMbps * 1e6) / 8 / 2 : 2e6;
  return Math.max(180_000, (dataset.bytes / rate) * 1000 + dataset.files.length * 50);
}

export async function runDaemonVariant(ctx: BenchContext, v: VariantSpec): Promise<DaemonResult & { uploadTimes: number[]; uploadSent: number[] }> {
  const { dataset, server } = ctx;
  const vdir = join(ctx.workDir, v.name);
  const watchRoot = join(vdir, 'watch');
  const dirs = dataset.sources.map((source) => ({ path: join(watchRoot, source), source }));
  for (const d of dirs) await mkdir(d.path, { recursive: true });
  const { path: configPath, knobs } = writeDaemonConfig(vdir, {
    stateDir: join(vdir, 'state'),
    dirs,
    endpoint: server.endpoint,
    bucket: v.bucket,
    tuning: v.tuning,
  });
  const n = dataset.files.length;

  if (v.mode === 'backlog') {
    await moveFiles(dataset, dataset.root, watchRoot);
    const past = new Date(Date.now() - 600_000);
    for (const f of dataset.files) await utimes(join(watchRoot, f.rel), past, past);
  }
  const server0 = cpuTimes(server.pid) ?? ZERO;
  const daemon = new DaemonChild({
    runtime: ctx.runtime,
    configPath,
    env: { ...DAEMON_ENV, ...v.env },
    eldFile: join(vdir, 'eventloop.jsonl'),
    nodeFlags: v.nodeFlags ?? [],
  });
  let exitCode: number | null = null;
  try {
    await daemon.waitRunning();
    const startRssMb = memory(daemon.pid)?.rssMb ?? 0;
    let t0: number;
    let placeS: number | null = null;
    let daemon0: CpuTimes = ZERO;
    let threads0 = new Map<number, number>();
    let serverStart = server0;
    if (v.mode === 'watch') {
      daemon0 = cpuTimes(daemon.pid) ?? ZERO;
      threads0 = threadCpu(daemon.pid);
      serverStart = cpuTimes(server.pid) ?? ZERO;
      daemon.markEventLoop(); // closes the start-up window
      const placing = Date.now();
      await moveFiles(dataset, dataset.root, watchRoot);
      t0 = Date.now();
      placeS = round((t0 - placing) / 1000);
    } else {
      t0 = daemon.spawnedAt;
    }
    ctx.log(`  ${v.name}: ${n} files in place, waiting for uploads`);
    await daemon.waitUploaded(n, timeoutFor(dataset, v.tuning));
    const daemon1 = cpuTimes(daemon.pid) ?? ZERO;
    const threads = threadSplit(daemon.pid, threads0, threadCpu(daemon.pid));
    const server1 = cpuTimes(server.pid) ?? ZERO;
    daemon.markEventLoop();
    const hwmMb = daemon.hwmMb();
    const rss = daemon.sampler.stop();
    const tEnd = Math.max(...daemon.uploadTimes);
    exitCode = (await daemon.stop()).code;

    const wallS = (tEnd - t0) / 1000;
    const listing = await server.list(v.bucket);
    const check = await verifySample(server, v.bucket, daemon.samplePaths);
    server.dropBucket(v.bucket);
    const snaps = daemon.eventLoopSnapshots();
    // watch: snapshot 0 is start-up, 1 the measured window; backlog: 0 is the whole life.
    const window = snaps[v.mode === 'watch' ? 1 : 0];
    const eld = toEventLoop(window);
    const dcpu = diffCpu(daemon0, daemon1);
    const budget = memoryBudget(knobs, startRssMb);
    const result = {
      variant: v.name,
      description: v.description,
      mode: v.mode,
      config: knobs,
      nodeFlags: v.nodeFlags ?? [],
      env: v.env ?? {},
      wallS: round(wallS),
      placeS,
      startupS: v.mode === 'backlog' && daemon.runningAt !== null ? round((daemon.runningAt - daemon.spawnedAt) / 1000) : null,
      fromRunningS: v.mode === 'backlog' && daemon.runningAt !== null ? round((tEnd - daemon.runningAt) / 1000) : null,
      files: n,
      filesPerS: round(n / wallS, 1),
      sourceBytes: daemon.sourceBytes,
      sourceMBps: round(daemon.sourceBytes / 1e6 / wallS, 1),
      wireBytes: daemon.sentBytes,
      wireMBps: round(daemon.sentBytes / 1e6 / wallS, 1),
      codecs: daemon.codecs,
      levels: daemon.levels,
      cpu: { daemon: dcpu, server: diffCpu(serverStart, server1), daemonPerSourceGbS: daemon.sourceBytes > 0 ? round(dcpu.total / (daemon.sourceBytes / 2 ** 30)) : null, threads },
      memory: {
        hwmMb: round(hwmMb, 1),
        peakRssMb: rss.peakRssMb,
        meanRssMb: rss.meanRssMb,
        startRssMb: round(startRssMb, 1),
        budgetMb: budget.totalMb,
        budgetTerms: budget.terms,
        mainHeapPeakMb: window?.heapPeakMb ?? null,
        mainHeapAfterGcMb: window?.heapUsedAfterGcMb ?? null,
      },
      eventLoop: eld,
      objects: { expected: n, listed: listing.count, listedBytes: listing.bytes, verified: check.verified, verifyFailures: check.failures },
      problems: daemon.problems,
      exitCode,
      uploadTimes: daemon.uploadTimes,
      uploadSent: daemon.uploadSent,
    };
    ctx.log(`  ${v.name}: ${result.wallS} s, ${result.filesPerS} files/s, ${result.sourceMBps} MB/s, daemon CPU ${dcpu.total} s, HWM ${result.memory.hwmMb} MiB`);
    return result;
  } finally {
    if (exitCode === null) await daemon.stop(5_000);
    await moveFiles(dataset, watchRoot, dataset.root, true);
  }
}
