/**
 * Two runs side by side: every metric of the later run with the earlier value and the change.
 * Pure (runs in, text lines out) so it is testable without files. Changes below 5 % are marked
 * "~" (noise on a shared 2-core machine); otherwise "better" / "worse" by the metric's direction.
 */
import type { RunResult } from '../result-types.js';
import { metricRows, type MetricRow } from './metrics.js';

export interface ComparedRow {
  readonly subject: string;
  readonly metric: string;
  readonly before: number | null;
  readonly after: number | null;
  readonly changePct: number | null;
  readonly verdict: '' | '~' | 'better' | 'worse';
}

const NOISE_PCT = 5;

export function compareRuns(before: RunResult | null, after: RunResult): ComparedRow[] {
  const old = new Map<string, MetricRow>();
  for (const r of before ? metricRows(before) : []) old.set(`${r.subject}\u0000${r.metric}`, r);
  return metricRows(after).map((r) => {
    const b = old.get(`${r.subject}\u0000${r.metric}`)?.value ?? null;
    const a = r.value;
    if (b === null || a === null || b === 0) return { subject: r.subject, metric: r.metric, before: b, after: a, changePct: null, verdict: '' };
    const changePct = Math.round(((a - b) / Math.abs(b)) * 1000) / 10;
    const verdict = Math.abs(changePct) < NOISE_PCT ? '~' : changePct > 0 === r.higherIsBetter ? 'better' : 'worse';
    return { subject: r.subject, metric: r.metric, before: b, after: a, changePct, verdict };
  });
}

/** Column-aligned plain text. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

const show = (v: number | null): string => (v === null ? '—' : String(v));

export function comparisonText(before: RunResult | null, after: RunResult, names: { before: string; after: string }): string[] {
  const rows = compareRuns(before, after).map((r) => [
    r.subject,
    r.metric,
    show(r.before),
    show(r.after),
    r.changePct === null ? '' : `${r.changePct > 0 ? '+' : ''}${r.changePct} %`,
    r.verdict,
  ]);
  const head = [
    `latest:  ${names.after} (${after.quick ? 'quick' : 'full'}, load ${after.loadavgBefore.join(' ')} → ${after.loadavgAfter.join(' ')})`,
    before
      ? `against: ${names.before} (${before.quick ? 'quick' : 'full'}, load ${before.loadavgBefore.join(' ')} → ${before.loadavgAfter.join(' ')})`
      : 'against: (no earlier run)',
  ];
  if (before && before.quick !== after.quick) head.push('note: one run is --quick and the other is not; sizes differ, compare rates rather than times');
  return [...head, '', ...formatTable(['subject', 'metric', 'earlier', 'latest', 'change', ''], rows)];
}
