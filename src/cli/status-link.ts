/**
 * The human lines of `tvm-upload status` for the link policy (src/link/status-fields.ts): the
 * queue by priority, the link and its last probe, the cellular budget and the bandwidth in force.
 * Nothing is printed for what is not configured.
 */
import type { LinkStatusFields } from '../link/status-fields.js';
import { formatBytes } from './format.js';

export function linkStatusLines(f: LinkStatusFields, running: boolean): string[] {
  const out: string[] = [];
  const q = f.queueByPriority;
  if (q !== null) {
    out.push(`priority:  high ${q.high.files} (${formatBytes(q.high.bytes)}), normal ${q.normal.files} (${formatBytes(q.normal.bytes)}), low ${q.low.files} (${formatBytes(q.low.bytes)}) queued`);
  }
  const l = f.link;
  if (l !== null) {
    const probe = l.lastProbeAt === null ? 'not probed yet' : `probed ${l.lastProbeAt}`;
    // A stopped daemon's record is history: say when it was taken.
    const when = running ? '' : ` (daemon not running; as reported at ${l.reportedAt})`;
    out.push(`link:      ${l.link}${l.iface === null ? '' : ` (${l.iface})`}, ${l.restriction ?? 'every priority'}; ${probe}${when}`);
    if (l.lastProbeError !== null) out.push(`link:      last probe failed (link kept): ${l.lastProbeError}`);
  }
  const b = f.cellularBudget;
  if (b !== null) {
    const of = b.limitBytes === null ? ', no budget set' : ` of ${formatBytes(b.limitBytes)}, ${formatBytes(b.leftBytes ?? 0)} left`;
    out.push(`cellular:  ${formatBytes(b.usedBytes)} used in ${b.month}${of} (${budgetLevelText(b.level)})`);
  }
  if (f.bandwidth !== null) out.push(`bandwidth: ${rateText(f.bandwidth.bytesPerSecond)}${running ? '' : ' (daemon not running: the rate it last applied)'}`);
  return out;
}

export function rateText(bytesPerSecond: number | null): string {
  if (bytesPerSecond === null) return 'unlimited';
  return `${((bytesPerSecond * 8) / 1_000_000).toFixed(2)} Mbit/s (${formatBytes(bytesPerSecond)}/s)`;
}

function budgetLevelText(level: 'ok' | 'high-only' | 'exhausted'): string {
  if (level === 'ok') return 'every priority may use cellular';
  return level === 'high-only' ? 'over 80 %: only high over cellular' : 'exhausted: nothing over cellular until the month ends';
}
