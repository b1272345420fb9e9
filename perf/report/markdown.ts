/**
 * One run as markdown, the tables docs/PERFORMANCE.md carries: per suite, one row per daemon
 * variant and per comparison tool, then the targets, then the configuration of each variant.
 * `npm run perf:report -- --markdown` prints it for pasting.
 */
import type { DaemonResult, RunResult, SoakFigures, SuiteResult, ToolResult } from '../result-types.js';
import { targetText } from './summary.js';

const v = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : String(x));
const mb = (bytes: number): string => String(Math.round(bytes / 1e5) / 10);

const HEAD = '| run | wall s | files/s | source MB/s | wire MB | CPU s ours (user+sys) | CPU s server | peak RSS MiB (VmHWM / sampled) | event-loop p99 ms | vs rclone |';
const RULE = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|';

function daemonRow(s: SuiteResult, d: DaemonResult, rcloneWall: number | null): string {
  const ratio = rcloneWall !== null && d.mode !== 'idle' ? `${Math.round((d.wallS / rcloneWall) * 100) / 100}×` : '—';
  const wall = d.mode === 'idle' ? `${d.wallS} (window)` : d.startupS !== null ? `${d.wallS} (start-up ${d.startupS})` : v(d.wallS);
  return `| ${s.primary === d.variant ? `**${d.variant}**` : d.variant} | ${wall} | ${d.mode === 'idle' ? '—' : v(d.filesPerS)} | ${d.mode === 'idle' ? '—' : v(d.sourceMBps)} | ${d.mode === 'idle' ? '—' : mb(d.wireBytes)} | ${d.cpu.daemon.total} | ${d.cpu.server.total} | ${d.memory.hwmMb} / ${d.memory.peakRssMb} | ${v(d.eventLoop?.p99Ms)} | ${ratio} |`;
}

function toolRow(t: ToolResult): string {
  if (t.status !== 'ok') return `| ${t.tool} | ${t.status}: ${t.reason ?? ''} | | | | | | | | |`;
  return `| ${t.tool} (raw) | ${v(t.wallS)} | ${v(t.filesPerS)} | ${v(t.sourceMBps)} | ${t.objects ? mb(t.objects.listedBytes) : '—'} | ${v(t.cpu?.tool.total)} | ${v(t.cpu?.server.total)} | — / ${v(t.peakRssMb)} | — | ${t.ourRatio === null ? '—' : `ours ${t.ourRatio}×`} |`;
}

/** The soak suite's verdicts in two sentences: memory and throughput after warm-up, then the checks. */
export function soakText(s: SoakFigures): string {
  const x = s.verification;
  return (
    `Soak: ${s.files} files (${s.binaryFiles} binary), ${mb(s.bytes)} MB, at most ${mb(s.workingSet.peakBytes)} MB on disk (bound ${mb(s.workingSet.capBytes)}); between ${s.warmupShare * 100} % of the generation time and the last file written (${s.lastWriteS} s): ` +
    `RSS slope ${v(s.rssSlopeMbPerHour)} MiB/h (tolerance ±${s.rssSlopeToleranceMbPerHour}), ${s.heapAfterGc ? `heap after a full GC ${s.heapAfterGc.first} → ${s.heapAfterGc.last} MiB (${s.heapAfterGc.min}–${s.heapAfterGc.max} over ${s.heapAfterGc.samples} samples, slope ${v(s.heapAfterGc.slopeMbPerHour)} MiB/h), ` : ''}${v(s.meanMBps)} MB/s per ${s.sampleIntervalS} s interval (CV ${v(s.throughputCv)}), mean 1-min load ${v(s.loadavg1Mean)}. ` +
    `Checked: ${x.headOk} objects by key, size and receipts, ${x.roundTripOk}/${x.sampled} round-tripped by SHA-256 (1 in ${x.sampleEvery} and all ${x.multipart} multipart), ${x.failedObjects} failed, ${x.unexpected} unexpected uploads, ${s.leftoverObjects} objects left over; harness CPU ${s.harnessCpuS} s.`
  );
}

function configLine(d: DaemonResult): string {
  const c = d.config;
  const parts = [
    `file_stable_seconds ${c.fileStableSeconds}`,
    `concurrency ${c.concurrency}`,
    `part_concurrency ${c.partConcurrency}`,
    `part_size_mb ${c.partSizeMb}`,
    `workers ${c.workers}`,
    // Old results have no maxLevel; a level that may be raised under a cap reads "gzip-6 (up to 9)".
    `${c.codec}-${c.level}${c.maxLevel !== undefined && c.maxLevel > c.level ? ` (up to ${c.maxLevel} under a cap)` : ''}`,
    `max_mbps ${c.maxMbps ?? 'unlimited'}`,
    `${c.watchedDirs} watched trees`,
  ];
  if (d.nodeFlags.length > 0) parts.push(`node ${d.nodeFlags.join(' ')}`);
  for (const [k, x] of Object.entries(d.env ?? {})) parts.push(`${k}=${x}`);
  const t = d.cpu.threads;
  const threads = t ? ` Daemon CPU by thread: main ${t.main} s, others ${t.others.join(', ')} s.` : '';
  const levels = d.levels !== undefined && Object.keys(d.levels).length > 1 ? ` Files per level: ${Object.entries(d.levels).map(([k, n]) => `${k} ${n}`).join(', ')}.` : '';
  const placed = d.placeS !== undefined && d.placeS !== null ? ` Files renamed in over ${d.placeS} s before the clock started.` : '';
  return `- \`${d.variant}\` (${d.mode}): ${d.description}. Resolved: ${parts.join(', ')}. Memory budget ${d.memory.budgetMb} MiB (start RSS ${d.memory.startRssMb}).${levels}${placed}${threads}`;
}

export function runMarkdown(run: RunResult): string[] {
  const m = run.machine;
  const out = [
    `Run ${run.startedAt} (${run.quick ? 'quick' : 'full'}), commit ${run.git.commit?.slice(0, 10) ?? 'unknown'}${run.git.dirty ? ' + uncommitted changes' : ''}, daemon run as ${run.runtime.kind}.`,
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GiB, Node ${m.node}, Linux ${m.kernel}. Load average before ${run.loadavgBefore.join(' ')}, after ${run.loadavgAfter.join(' ')}.`,
    '',
  ];
  for (const s of run.suites) {
    out.push(`### ${s.name}`, '');
    if (s.status === 'failed') {
      out.push(`Failed: ${s.error ?? ''}`, '');
      continue;
    }
    const ds = s.dataset;
    if (ds) out.push(`${s.description}. Data: ${ds.files} files, ${mb(ds.bytes)} MB (${Object.entries(ds.kinds).map(([k, x]) => `${k} ${x.files}`).join(', ')}). Load ${s.loadavgBefore.join(' ')} → ${s.loadavgAfter.join(' ')}.`, '');
    const rclone = s.tools.find((t) => t.tool === 'rclone' && t.status === 'ok')?.wallS ?? null;
    out.push(HEAD, RULE, ...s.daemon.map((d) => daemonRow(s, d, rclone)), ...s.tools.map(toolRow), '');
    for (const d of s.daemon) {
      if (d.idle) {
        const steady = d.idle.steadyAfterS !== undefined ? ` in the steady window (from ${d.idle.steadyAfterS} s after the backlog)` : '';
        const first = d.idle.afterBacklog
          ? ` In the first window, 5 s after the backlog: ${d.idle.afterBacklog.cpuSPerMinute} CPU-s per minute (main thread ${d.idle.afterBacklog.mainCpuS} s, other threads ${d.idle.afterBacklog.otherThreadsCpuS} s; s3rver ${d.idle.afterBacklog.serverCpuS} s).`
          : '';
        out.push(`Idle: ${d.idle.cpuSPerMinute} CPU-s per minute${steady}, of which the probe alone (a bare node with the same probe, same window) accounts for ${v(d.idle.probeAloneCpuSPerMinute)}.${first}`, '');
      }
      if (d.soak) out.push(soakText(d.soak), '');
      if (d.throttle) out.push(`Throttle: cap ${d.throttle.capMBps} MB/s, achieved ${d.throttle.achievedMBps} MB/s (${d.throttle.ratio}× the cap), steady ${v(d.throttle.steadyMBps)} MB/s.`, '');
      if (d.link) out.push(`Link: ${v(d.link.sourceToWire)} source bytes per byte on the wire.`, '');
    }
    out.push(...s.targets.map((t) => `- Target: ${targetText(t)}`), ...s.daemon.map(configLine), '');
  }
  return out;
}
