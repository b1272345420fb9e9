/**
 * `idle`: 4 watched trees holding 400 already-uploaded files, nothing changing: the CPU the
 * daemon burns doing nothing (timers, watchers, housekeeping). The daemon first uploads the trees
 * (a start-up backlog); two windows of 60 s (--quick: 15 s) follow: one 5 s after the last upload
 * (the uploads' garbage is still being collected) and the steady one from 150 s after it
 * (--quick: 45 s), which the target judges. The monitoring endpoint is served, as it is by
 * default (prom-client's process metrics keep a timer of their own). The event-loop probe
 * samples every 250 ms here and takes no heap samples, so its own wake-ups stay small next to
 * the figure being measured, and a bare `node` process with the same probe runs through the same
 * windows so its cost is measured rather than guessed. The RSS sampler reads /proc from outside
 * and costs the daemon nothing.
 */
import { spawn } from 'node:child_process';
import { mkdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { generateFileSet } from '../data/file-set.js';
import { datasetTotals } from '../data/file-set.js';
import { DaemonChild, PROBE } from '../harness/daemon-child.js';
import { writeDaemonConfig } from '../harness/daemon-config.js';
import { DAEMON_ENV, moveFiles, toEventLoop } from '../harness/daemon-bench.js';
import { memoryBudget } from '../harness/memory-budget.js';
import { cpuTimes, diffCpu, memory, round, threadCpu, threadSplit } from '../harness/proc-stats.js';
import { ServerProcess } from '../harness/server-process.js';
import { freePort } from '../../test/support/ports.js';
import { check, peakRssTarget } from '../harness/targets.js';
import { failedSuite, loadavg, withWorkDir, type Suite } from '../harness/suite-context.js';
import type { DaemonResult } from '../result-types.js';

const SETTLE_MS = 5_000;
/**
 * The steady window starts this long after the last upload. The first minute after a backlog is
 * not idle: V8 collects the garbage of the uploads (in the daemon and in s3rver; measured
 * 2026-12-08: 0.41 CPU-s in the first minute, 0.12 from 150 s on, s3rver 0.15 → 0.01).
 */
const STEADY_AFTER_S = 150;
const BUCKET = 'perf-idle';

export const idle: Suite = {
  name: 'idle',
  description: '4 watched trees, nothing changing: CPU seconds per minute',
  async run(ctx) {
    const started = performance.now();
    const before = loadavg();
    const windowS = ctx.quick ? 15 : 60;
    const steadyAfterS = ctx.quick ? 45 : STEADY_AFTER_S;
    const perMinute = (cpuS: number): number => round((cpuS / windowS) * 60, 3);
    try {
      return await withWorkDir('idle', async (workDir) => {
        const g0 = performance.now();
        const dataset = await generateFileSet(join(workDir, 'data'), { files: 400, fileBytes: 64 * 1024, randomShare: 0.05, gzipShare: 0.05, seed: 60 });
        const generateS = round((performance.now() - g0) / 1000, 1);
        const watchRoot = join(workDir, 'watch');
        const dirs = dataset.sources.map((source) => ({ path: join(watchRoot, source), source }));
        for (const d of dirs) await mkdir(d.path, { recursive: true });
        await moveFiles(dataset, dataset.root, watchRoot);
        const past = new Date(Date.now() - 600_000);
        for (const f of dataset.files) await utimes(join(watchRoot, f.rel), past, past);
        const server = await ServerProcess.start(join(workDir, 's3'), [BUCKET]);
        const httpListen = `127.0.0.1:${await freePort()}`;
        const { path: configPath, knobs } = writeDaemonConfig(workDir, { stateDir: join(workDir, 'state'), dirs, endpoint: server.endpoint, bucket: BUCKET, tuning: {}, httpListen });
        const probeMs = 250;
        const daemon = new DaemonChild({
          runtime: ctx.runtime,
          configPath,
          env: DAEMON_ENV,
          eldFile: join(workDir, 'eventloop.jsonl'),
          eldResolutionMs: probeMs,
          memSampleMs: 0,
          nodeFlags: ctx.nodeFlags,
        });
        let result: DaemonResult;
        try {
          await daemon.waitRunning();
          const startRssMb = memory(daemon.pid)?.rssMb ?? 0;
          // The endpoint must really be up, or the figure would leave its cost out unnoticed.
          const metrics = await fetch(`http://${httpListen}/metrics`);
          if (!metrics.ok || !(await metrics.text()).includes('tvm_upload_process_cpu_seconds_total')) throw new Error(`idle: the daemon's /metrics on ${httpListen} did not answer (HTTP ${metrics.status})`);
          await daemon.waitUploaded(dataset.files.length, 300_000);
          ctx.log(`  idle: ${dataset.files.length} files uploaded; settling ${SETTLE_MS / 1000} s, then two windows of ${windowS} s`);
          await new Promise((r) => setTimeout(r, SETTLE_MS));
          const backlogDoneAt = performance.now() - SETTLE_MS;
          const control = spawn(process.execPath, ['--import', PROBE, '-e', 'setInterval(() => undefined, 2 ** 30)'], {
            env: { ...process.env, PERF_ELD_FILE: join(workDir, 'control.jsonl'), PERF_ELD_RESOLUTION: String(probeMs), PERF_MEM_SAMPLE_MS: '0' },
            stdio: 'ignore',
          });
          await new Promise((r) => setTimeout(r, 1_000)); // past the control's own start-up
          const uploadedBefore = daemon.uploaded;
          /** One window: the daemon's, its threads', the server's and the bare probe's CPU. */
          const measure = async () => {
            const d0 = cpuTimes(daemon.pid)!;
            const t0 = threadCpu(daemon.pid);
            const s0 = cpuTimes(server.pid)!;
            const c0 = cpuTimes(control.pid!);
            await new Promise((r) => setTimeout(r, windowS * 1000));
            const d1 = cpuTimes(daemon.pid)!;
            const c1 = cpuTimes(control.pid!);
            return {
              cpu: diffCpu(d0, d1),
              threads: threadSplit(daemon.pid, t0, threadCpu(daemon.pid)),
              server: diffCpu(s0, cpuTimes(server.pid)!),
              probeCpu: c0 && c1 ? diffCpu(c0, c1).total : null,
            };
          };
          const afterBacklog = await measure();
          ctx.log(`  idle: ${perMinute(afterBacklog.cpu.total)} CPU-s per minute in the first window; the steady window starts ${steadyAfterS} s after the backlog`);
          await new Promise((r) => setTimeout(r, Math.max(0, backlogDoneAt + steadyAfterS * 1000 - performance.now())));
          daemon.markEventLoop();
          const steady = await measure();
          control.kill('SIGKILL');
          daemon.markEventLoop();
          const hwmMb = daemon.hwmMb();
          const rss = daemon.sampler.stop();
          const exit = await daemon.stop();
          const window = daemon.eventLoopSnapshots()[1];
          const budget = memoryBudget(knobs, startRssMb);
          const listing = await server.list(BUCKET);
          result = {
            variant: 'idle',
            description: 'defaults (the HTTP endpoint served); trees already uploaded; nothing changes during the window',
            mode: 'idle',
            config: knobs,
            nodeFlags: ctx.nodeFlags,
            wallS: windowS,
            startupS: daemon.runningAt !== null ? round((daemon.runningAt - daemon.spawnedAt) / 1000) : null,
            fromRunningS: null,
            files: daemon.uploaded - uploadedBefore,
            filesPerS: 0,
            sourceBytes: 0,
            sourceMBps: 0,
            wireBytes: 0,
            wireMBps: 0,
            codecs: daemon.codecs,
            cpu: { daemon: steady.cpu, server: steady.server, daemonPerSourceGbS: null, threads: steady.threads },
            memory: { hwmMb: round(hwmMb, 1), peakRssMb: rss.peakRssMb, meanRssMb: rss.meanRssMb, startRssMb: round(startRssMb, 1), budgetMb: budget.totalMb, budgetTerms: budget.terms, mainHeapPeakMb: window?.heapPeakMb ?? null },
            eventLoop: toEventLoop(window),
            objects: { expected: dataset.files.length, listed: listing.count, listedBytes: listing.bytes, verified: 0, verifyFailures: [] },
            problems: daemon.problems,
            exitCode: exit.code,
            idle: {
              windowS,
              steadyAfterS,
              cpuSPerMinute: perMinute(steady.cpu.total),
              probeAloneCpuSPerMinute: steady.probeCpu === null ? null : perMinute(steady.probeCpu),
              afterBacklog: {
                cpuSPerMinute: perMinute(afterBacklog.cpu.total),
                mainCpuS: afterBacklog.threads.main,
                otherThreadsCpuS: round(afterBacklog.threads.others.reduce((a, b) => a + b, 0)),
                serverCpuS: afterBacklog.server.total,
              },
            },
          };
          ctx.log(`  idle: ${result.idle!.cpuSPerMinute} CPU-s per minute steady`);
        } finally {
          await daemon.stop(5_000);
          await server.stop();
        }
        const serverMem = server.sampler.stop();
        return {
          name: 'idle',
          description: `4 watched trees (400 files, already uploaded), nothing changing: ${windowS} s windows 5 s and ${steadyAfterS} s after the backlog`,
          status: 'ok' as const,
          error: null,
          dataset: { files: dataset.files.length, bytes: dataset.bytes, kinds: datasetTotals(dataset.files), note: 'uploaded before the window', generateS },
          primary: 'idle',
          daemon: [result],
          tools: [],
          targets: [check('CPU seconds per minute idle', result.idle!.cpuSPerMinute, '<=', 0.3, 'CPU-s/min'), peakRssTarget([result])],
          serverPeakRssMb: serverMem.peakRssMb,
          loadavgBefore: before,
          loadavgAfter: loadavg(),
          durationS: round((performance.now() - started) / 1000, 1),
        };
      });
    } catch (err) {
      ctx.log(`idle: FAILED: ${(err as Error).message}`);
      return failedSuite(idle, err, started, before);
    }
  },
};
