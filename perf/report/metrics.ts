/**
 * The figures the report shows, as (label, value) rows per suite and variant, extracted from a
 * run's JSON. One list, used both for the two-run comparison and for the markdown table in
 * docs/PERFORMANCE.md, so the two can never show different things under the same name.
 */
import { objectsFailing } from '../harness/soak-stats.js';
import type { DaemonResult, RunResult, SuiteResult, ToolResult } from '../result-types.js';

export interface MetricRow {
  /** `suite / variant` or `suite / tool`. */
  readonly subject: string;
  readonly metric: string;
  readonly value: number | null;
  /** Whether a larger value is better (for the comparison's verdict column). */
  readonly higherIsBetter: boolean;
}

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;

function daemonRows(s: SuiteResult, d: DaemonResult): MetricRow[] {
  const subject = `${s.name} / ${d.variant}`;
  const row = (metric: string, value: number | null, higherIsBetter = false): MetricRow => ({ subject, metric, value, higherIsBetter });
  const rows: MetricRow[] = [];
  if (d.mode === 'idle') {
    rows.push(row('window s', d.wallS), row('CPU-s per minute', d.idle?.cpuSPerMinute ?? null), row('probe alone CPU-s per minute', d.idle?.probeAloneCpuSPerMinute ?? null));
    if (d.idle?.afterBacklog) rows.push(row('CPU-s per minute right after the backlog', d.idle.afterBacklog.cpuSPerMinute));
  } else {
    rows.push(row('wall s', d.wallS));
    if (d.startupS !== null) rows.push(row('start-up s (spawn → running)', d.startupS));
    rows.push(row('files/s', d.filesPerS, true), row('source MB/s', d.sourceMBps, true), row('wire MB (object bodies)', mb(d.wireBytes)), row('wire ÷ source', d.sourceBytes > 0 ? Math.round((d.wireBytes / d.sourceBytes) * 1000) / 1000 : null));
  }
  rows.push(
    row('CPU s daemon (user+sys)', d.cpu.daemon.total),
    row('CPU s daemon main thread', d.cpu.threads?.main ?? null),
    row('CPU s daemon busiest other thread', d.cpu.threads?.others[0] ?? null),
    row('CPU s server (user+sys)', d.cpu.server.total),
    row('peak RSS MiB (VmHWM)', d.memory.hwmMb),
    row('peak RSS MiB (sampled)', d.memory.peakRssMb),
    row('memory budget MiB (formula)', d.memory.budgetMb),
    row('event-loop delay p99 ms', d.eventLoop?.p99Ms ?? null),
  );
  if (d.soak) {
    rows.push(
      row('RSS slope after warm-up MiB/h', d.soak.rssSlopeMbPerHour),
      row('heap after GC slope after warm-up MiB/h', d.soak.heapAfterGc?.slopeMbPerHour ?? null),
      row('throughput CV after warm-up', d.soak.throughputCv),
      row('CPU s per source GiB', d.cpu.daemonPerSourceGbS),
      row('objects failing a check', objectsFailing(d.soak)),
    );
  }
  if (d.throttle) rows.push(row('cap MB/s', d.throttle.capMBps), row('achieved ÷ cap', d.throttle.ratio), row('steady MB/s', d.throttle.steadyMBps));
  if (d.link) rows.push(row('source ÷ wire bytes', d.link.sourceToWire));
  return rows;
}

function toolRows(s: SuiteResult, t: ToolResult): MetricRow[] {
  const subject = `${s.name} / ${t.tool}`;
  if (t.status !== 'ok') return [{ subject, metric: t.status, value: null, higherIsBetter: false }];
  return [
    { subject, metric: 'wall s', value: t.wallS, higherIsBetter: false },
    { subject, metric: 'CPU s tool', value: t.cpu?.tool.total ?? null, higherIsBetter: false },
    { subject, metric: 'CPU s server', value: t.cpu?.server.total ?? null, higherIsBetter: false },
    { subject, metric: 'peak RSS MiB', value: t.peakRssMb, higherIsBetter: false },
    { subject, metric: 'our wall ÷ tool wall', value: t.ourRatio, higherIsBetter: false },
  ];
}

export function metricRows(run: RunResult): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const s of run.suites) {
    if (s.status === 'failed') {
      rows.push({ subject: s.name, metric: `failed: ${s.error ?? ''}`, value: null, higherIsBetter: false });
      continue;
    }
    for (const d of s.daemon) rows.push(...daemonRows(s, d));
    for (const t of s.tools) rows.push(...toolRows(s, t));
  }
  return rows;
}
