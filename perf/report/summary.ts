/**
 * A few lines per suite printed at the end of `npm run perf`: the primary variant's headline
 * figures, the comparison ratios and the targets. The full tables are `npm run perf:report`'s.
 */
import type { RunResult, TargetCheck } from '../result-types.js';

export function targetText(t: TargetCheck): string {
  const mark = t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED';
  const op = t.op === 'within' ? `within ±${t.limit * 100} % of 1` : `${t.op} ${t.limit}`;
  return `${t.target}: ${t.value ?? '—'} ${t.unit} (target ${op}) ${mark}`;
}

export function summaryLines(run: RunResult): string[] {
  const out: string[] = [];
  out.push(`perf run ${run.startedAt}${run.quick ? ' (quick)' : ''} on ${run.machine.cores} cores, Node ${run.machine.node}; load ${run.loadavgBefore.join(' ')} → ${run.loadavgAfter.join(' ')}`);
  for (const s of run.suites) {
    if (s.status === 'failed') {
      out.push(`${s.name}: FAILED: ${s.error ?? ''}`);
      continue;
    }
    for (const d of s.daemon) {
      const eld = d.eventLoop ? `, event-loop p99 ${d.eventLoop.p99Ms} ms` : '';
      const idle = d.idle ? `, ${d.idle.cpuSPerMinute} CPU-s/min idle` : '';
      const soak = d.soak ? `, RSS slope ${d.soak.rssSlopeMbPerHour ?? '—'} MiB/h, ${d.soak.heapAfterGc ? `heap-after-GC slope ${d.soak.heapAfterGc.slopeMbPerHour ?? '—'} MiB/h, ` : ''}throughput CV ${d.soak.throughputCv ?? '—'}, ${d.soak.verification.failedObjects} failed objects` : '';
      out.push(
        `${s.name}/${d.variant}: ${d.wallS} s, ${d.filesPerS} files/s, ${d.sourceMBps} MB/s source, CPU daemon ${d.cpu.daemon.total} s server ${d.cpu.server.total} s, HWM ${d.memory.hwmMb} MiB${eld}${idle}${soak}`,
      );
    }
    for (const t of s.tools) {
      out.push(`${s.name}/${t.tool}: ${t.status === 'ok' ? `${t.wallS} s (ours ${t.ourRatio}×)` : `${t.status}: ${t.reason ?? ''}`}`);
    }
    for (const t of s.targets) out.push(`${s.name} target: ${targetText(t)}`);
  }
  return out;
}
