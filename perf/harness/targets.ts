/**
 * The targets, checked and reported, never asserted: a perf run that misses one still
 * succeeds and writes its figures. Memory figures are MiB (the kernel's kB are KiB); the issue's
 * "120 MB" is read as 120 MiB.
 */
import type { DaemonResult, TargetCheck, ToolResult } from '../result-types.js';

export const PEAK_RSS_LIMIT_MB = 120;

export function check(target: string, value: number | null, op: TargetCheck['op'], limit: number, unit: string): TargetCheck {
  let met: boolean | null = null;
  if (value !== null && Number.isFinite(value)) {
    if (op === '<=') met = value <= limit;
    else if (op === '>=') met = value >= limit;
    else met = Math.abs(value - 1) <= limit;
  }
  return { target, value, op, limit, unit, met };
}

/** Peak RSS (the kernel's VmHWM) over every daemon run of the suite. */
export function peakRssTarget(runs: readonly DaemonResult[]): TargetCheck {
  const peak = runs.length > 0 ? Math.max(...runs.map((r) => Math.max(r.memory.hwmMb, r.memory.peakRssMb))) : null;
  return check('daemon peak RSS (VmHWM, every variant)', peak, '<=', PEAK_RSS_LIMIT_MB, 'MiB');
}

/** Our primary wall time as a multiple of rclone's on the same server (null when rclone did not run). */
export function rcloneRatioTarget(tools: readonly ToolResult[], limit: number): TargetCheck {
  const rclone = tools.find((t) => t.tool === 'rclone' && t.status === 'ok');
  return check('wall time ÷ rclone copy --transfers 16', rclone?.ourRatio ?? null, '<=', limit, '×');
}
