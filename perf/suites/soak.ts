/**
 * `soak`: 100 GB of realistic logs through the running daemon (--quick: 5 GB), the testing
 * strategy's "100 GB total data". Files of 256 KiB – 64 MiB (log-uniform; 3 % binary) are
 * composed from a block pool and renamed into 4 watched trees while the daemon runs; at most
 * 2 GiB of them (quick: 1 GiB) wait on disk. Every upload is checked (key, size, source receipts)
 * and a seeded 1 in 50 plus every multipart object round-trips by SHA-256; then the object and
 * the file are deleted (deletion policies are off: the harness cleans up, not the daemon).
 *
 * The verdicts: RSS sampled every minute (quick: 10 s) must not climb after the warm-up (first
 * 20 % of the run, up to the last file written): least-squares slope ≤ 5 MiB per hour, judged
 * when that window is ≥ 10 minutes (so not in --quick). Throughput per interval should be
 * steady (coefficient of variation ≤ 0.25; per-minute intervals on a shared machine move with
 * other people's load, so the load average is recorded with every sample). Under
 * `--node-flag --expose-gc` the daemon's probe also records the heap left after a full GC at each
 * sample, and its slope (≤ 2 MiB per hour) is judged too: RSS moves with V8's and the
 * allocator's sizing, the heap after a GC only with live objects. On demand only:
 * `npm run perf -- --suite soak [--quick]`, and the weekly perf workflow.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SOURCES, START_MS } from '../data/file-set.js';
import { LogBlockPool } from '../data/log-blocks.js';
import type { SoakPlan } from '../data/soak-files.js';
import { DAEMON_ENV, toEventLoop } from '../harness/daemon-bench.js';
import { DaemonChild } from '../harness/daemon-child.js';
import { PERF_VEHICLE_ID, writeDaemonConfig } from '../harness/daemon-config.js';
import { memoryBudget } from '../harness/memory-budget.js';
import { cpuTimes, diffCpu, memory, round, threadCpu, threadSplit } from '../harness/proc-stats.js';
import { ServerProcess } from '../harness/server-process.js';
import { SoakRun } from '../harness/soak-run.js';
import { coefficientOfVariation, heapAfterGc, intervalMBps, objectsFailing, rssSlopeMbPerHour, steadyWindow, worstOf } from '../harness/soak-stats.js';
import { ensureDiskSpace, failedSuite, loadavg, withWorkDir, type Suite } from '../harness/suite-context.js';
import { check, peakRssTarget } from '../harness/targets.js';
import { WorkingSet } from '../harness/working-set.js';
import type { DaemonResult, SoakFigures } from '../result-types.js';

const GIB = 2 ** 30;
const MIB = 2 ** 20;
const BUCKET = 'perf-soak';
const WARMUP_SHARE = 0.2;
const RSS_SLOPE_TOLERANCE_MB_PER_H = 5;
/** The live heap (≈ 20 MiB) is far steadier than RSS: 2 MiB/h is under 1 MiB over the window. */
const HEAP_SLOPE_TOLERANCE_MB_PER_H = 2;
const CV_LIMIT = 0.25;
/**
 * The slope is judged only over a steady window of at least 10 minutes: in a shorter one (the
 * quick run's ≈ 80 s) V8's heap and the allocator are still growing to their working size, so
 * the figure is reported but is no verdict on a leak.
 */
const MIN_JUDGED_WINDOW_S = 600;
const SAMPLE_EVERY = 50;
const PLAN: SoakPlan = { seed: 100, minBytes: 256 * 1024, maxBytes: 64 * MIB, binaryShare: 0.03, perDir: 50 };

const sizes = (quick: boolean): { totalBytes: number; capBytes: number; sampleMs: number; stallMs: number } =>
  quick ? { totalBytes: 5e9, capBytes: GIB, sampleMs: 10_000, stallMs: 300_000 } : { totalBytes: 100e9, capBytes: 2 * GIB, sampleMs: 60_000, stallMs: 600_000 };

export const soak: Suite = {
  name: 'soak',
  description: '100 GB of logs generated while the daemon runs: RSS slope, throughput steadiness, every object checked',
  onDemand: true,
  async run(ctx) {
    const started = performance.now();
    const before = loadavg();
    const z = sizes(ctx.quick);
    try {
      // The working set in staging and the trees, the objects not yet deleted, and a margin.
      ensureDiskSpace(z.capBytes * 2, 'soak');
      return await withWorkDir('soak', async (workDir) => {
        const g0 = performance.now();
        const pool = new LogBlockPool({ seed: PLAN.seed, blockBytes: 256 * 1024, blocks: 96, startMs: START_MS });
        for (const kind of ['ros2', 'syslog', 'terminal', 'binary'] as const) pool.blocks(kind);
        const poolS = round((performance.now() - g0) / 1000, 1);
        const watchRoot = join(workDir, 'watch');
        const server = await ServerProcess.start(join(workDir, 's3'), [BUCKET]);
        const dirs = SOURCES.map(([source]) => ({ path: join(watchRoot, source), source }));
        const { path: configPath, knobs } = writeDaemonConfig(workDir, { stateDir: join(workDir, 'state'), dirs, endpoint: server.endpoint, bucket: BUCKET, tuning: { fileStableSeconds: 0 } });
        const workingSet = new WorkingSet(z.capBytes);
        const verify = { bucket: BUCKET, vehicleId: PERF_VEHICLE_ID, seed: PLAN.seed, sampleEvery: SAMPLE_EVERY, partSizeBytes: knobs.partSizeMb * MIB };
        const heapSnapshots = ctx.nodeFlags.includes('--expose-gc');
        const soakRun = new SoakRun({ watchRoot, stagingRoot: join(workDir, 'staging'), plan: PLAN, pool, totalBytes: z.totalBytes, workingSet, server, verify, sampleMs: z.sampleMs, stallMs: z.stallMs, log: ctx.log, heapSnapshots });
        for (const d of dirs) await mkdir(d.path, { recursive: true });
        const daemon = new DaemonChild({
          runtime: ctx.runtime,
          configPath,
          env: DAEMON_ENV,
          eldFile: join(workDir, 'eventloop.jsonl'),
          nodeFlags: ctx.nodeFlags,
          onUploaded: (u) => soakRun.onUploaded(u),
        });
        let result: DaemonResult;
        try {
          await daemon.waitRunning();
          const startRssMb = memory(daemon.pid)?.rssMb ?? 0;
          const d0 = cpuTimes(daemon.pid)!;
          const t0 = threadCpu(daemon.pid);
          const s0 = cpuTimes(server.pid)!;
          daemon.markEventLoop(); // closes the start-up window
          ctx.log(`  soak: ${(z.totalBytes / 1e9).toFixed(0)} GB through the daemon, at most ${z.capBytes / GIB} GiB on disk; pool of ${round(pool.heldBytes / MIB)} MiB built in ${poolS} s`);
          const figures = await soakRun.run(daemon);
          const d1 = cpuTimes(daemon.pid)!;
          const threads = threadSplit(daemon.pid, t0, threadCpu(daemon.pid));
          const s1 = cpuTimes(server.pid)!;
          daemon.markEventLoop();
          const hwmMb = daemon.hwmMb();
          const rss = daemon.sampler.stop();
          const exit = await daemon.stop();
          // Every checked object was deleted; what remains besides the keepers was never checked.
          const leftover = (await server.list(BUCKET)).count - soakRun.keepers.size;
          const wallS = (figures.endedAt - figures.startedAt) / 1000;
          const lastWriteS = (figures.lastWriteAt - figures.startedAt) / 1000;
          const steady = steadyWindow(figures.samples, WARMUP_SHARE, lastWriteS);
          const rates = intervalMBps(steady);
          const cpu = diffCpu(d0, d1);
          const c = figures.counts;
          const snapshots = daemon.eventLoopSnapshots();
          // With a snapshot per sample, the run's event-loop figures are spread over them: the
          // worst p99 and max of any interval are reported.
          const window = heapSnapshots ? worstOf(snapshots.slice(1)) : snapshots[1];
          const heap = heapAfterGc(snapshots, figures.startedAt, lastWriteS * WARMUP_SHARE, lastWriteS);
          const heapMbs = heap.points.map(([, mb]) => mb);
          const budget = memoryBudget(knobs, startRssMb);
          const loads = figures.samples.map((s) => s.load1);
          const soakFigures: SoakFigures = {
            targetBytes: z.totalBytes,
            files: c.files,
            bytes: c.bytes,
            binaryFiles: c.binaryFiles,
            binaryBytes: c.binaryBytes,
            sampleIntervalS: z.sampleMs / 1000,
            warmupShare: WARMUP_SHARE,
            lastWriteS: round(lastWriteS, 1),
            workingSet: { capBytes: z.capBytes, peakBytes: workingSet.peakBytes },
            rssSlopeMbPerHour: nullableRound(rssSlopeMbPerHour(steady), 2),
            rssSlopeToleranceMbPerHour: RSS_SLOPE_TOLERANCE_MB_PER_H,
            ...(heapMbs.length > 0
              ? { heapAfterGc: { first: heapMbs[0]!, last: heapMbs[heapMbs.length - 1]!, min: Math.min(...heapMbs), max: Math.max(...heapMbs), samples: heapMbs.length, slopeMbPerHour: nullableRound(heap.slopeMbPerHour, 2), points: heap.points.map(([t, mb]) => [round(t, 1), mb] as const) } }
              : {}),
            intervalMBps: rates.map((x) => round(x, 1)),
            meanMBps: rates.length > 0 ? round(rates.reduce((a, b) => a + b, 0) / rates.length, 1) : null,
            throughputCv: nullableRound(coefficientOfVariation(rates), 3),
            verification: { headOk: c.headOk, sampled: c.sampled, sampleEvery: SAMPLE_EVERY, multipart: c.multipart, roundTripOk: c.roundTripOk, failedObjects: c.failedObjects, unexpected: c.unexpected, failures: figures.failures },
            leftoverObjects: leftover,
            harnessCpuS: figures.harnessCpuS,
            loadavg1Mean: loads.length > 0 ? round(loads.reduce((a, b) => a + b, 0) / loads.length) : null,
            samples: figures.samples,
          };
          result = {
            variant: 'soak',
            description: 'defaults, file_stable_seconds 0; files generated while the daemon runs',
            mode: 'watch',
            config: knobs,
            nodeFlags: ctx.nodeFlags,
            wallS: round(wallS),
            startupS: null,
            fromRunningS: null,
            files: c.confirmed,
            filesPerS: round(c.confirmed / wallS, 1),
            sourceBytes: daemon.sourceBytes,
            sourceMBps: round(daemon.sourceBytes / 1e6 / wallS, 1),
            wireBytes: daemon.sentBytes,
            wireMBps: round(daemon.sentBytes / 1e6 / wallS, 1),
            codecs: daemon.codecs,
            cpu: { daemon: cpu, server: diffCpu(s0, s1), daemonPerSourceGbS: daemon.sourceBytes > 0 ? round(cpu.total / (daemon.sourceBytes / GIB)) : null, threads },
            memory: { hwmMb: round(hwmMb, 1), peakRssMb: rss.peakRssMb, meanRssMb: rss.meanRssMb, startRssMb: round(startRssMb, 1), budgetMb: budget.totalMb, budgetTerms: budget.terms, mainHeapPeakMb: window?.heapPeakMb ?? null },
            eventLoop: toEventLoop(window),
            objects: { expected: c.files, listed: c.headOk, listedBytes: daemon.sentBytes, verified: c.roundTripOk, verifyFailures: figures.failures },
            problems: daemon.problems,
            exitCode: exit.code,
            soak: soakFigures,
          };
          ctx.log(`  soak: ${result.wallS} s, ${result.sourceMBps} MB/s, RSS slope ${soakFigures.rssSlopeMbPerHour} MiB/h, CV ${soakFigures.throughputCv}, ${c.failedObjects} failed objects`);
        } finally {
          await daemon.stop(5_000);
          await server.stop();
        }
        const serverMem = server.sampler.stop();
        const s = result.soak!;
        return {
          name: 'soak',
          description: `${(z.totalBytes / 1e9).toFixed(0)} GB of logs (256 KiB – 64 MiB files, 3 % binary) generated while the daemon runs, ≤ ${z.capBytes / GIB} GiB on disk; samples every ${z.sampleMs / 1000} s`,
          status: 'ok' as const,
          error: null,
          dataset: { files: s.files, bytes: s.bytes, kinds: { text: { files: s.files - s.binaryFiles, bytes: s.bytes - s.binaryBytes }, random: { files: s.binaryFiles, bytes: s.binaryBytes } }, note: 'composed on the fly from a pool of log-text blocks', generateS: poolS },
          primary: 'soak',
          daemon: [result],
          tools: [],
          targets: [
            check(
              `RSS slope after warm-up (judged over ≥ ${MIN_JUDGED_WINDOW_S / 60} min steady)`,
              s.lastWriteS * (1 - s.warmupShare) >= MIN_JUDGED_WINDOW_S ? s.rssSlopeMbPerHour : null,
              '<=',
              RSS_SLOPE_TOLERANCE_MB_PER_H,
              'MiB/h',
            ),
            ...(s.heapAfterGc
              ? [check(
                  `heap after GC slope after warm-up (--expose-gc; judged over ≥ ${MIN_JUDGED_WINDOW_S / 60} min steady)`,
                  s.lastWriteS * (1 - s.warmupShare) >= MIN_JUDGED_WINDOW_S ? s.heapAfterGc.slopeMbPerHour : null,
                  '<=',
                  HEAP_SLOPE_TOLERANCE_MB_PER_H,
                  'MiB/h',
                )]
              : []),
            check('throughput CV after warm-up', s.throughputCv, '<=', CV_LIMIT, ''),
            check('objects failing a check', objectsFailing(s), '<=', 0, 'objects'),
            peakRssTarget([result]),
          ],
          serverPeakRssMb: serverMem.peakRssMb,
          loadavgBefore: before,
          loadavgAfter: loadavg(),
          durationS: round((performance.now() - started) / 1000, 1),
        };
      });
    } catch (err) {
      ctx.log(`soak: FAILED: ${(err as Error).message}`);
      return failedSuite(soak, err, started, before);
    }
  },
};

const nullableRound = (x: number | null, digits: number): number | null => (x === null ? null : round(x, digits));
