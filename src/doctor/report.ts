/**
 * How doctor's results are shown: one line per step (✔ pass, ✘ fail, – skipped) with the fix
 * indented under each failure, and a closing count; or one JSON document for scripts.
 */
import type { StepReport } from './step.js';

const MARK = { pass: '✔', fail: '✘', skip: '–' } as const;

/** The text of one step: its line, then continuation and fix lines indented. */
export function formatStep(r: StepReport): string {
  const [first, ...rest] = r.detail.split('\n');
  const lines = [`${MARK[r.status]} ${r.title}: ${first ?? ''}`, ...rest.map((l) => `    ${l}`)];
  if (r.status === 'fail' && r.fix !== undefined) lines.push(...r.fix.split('\n').map((l) => `    fix: ${l}`));
  return lines.join('\n');
}

export function formatSummary(reports: readonly StepReport[]): string {
  const n = (s: StepReport['status']): number => reports.filter((r) => r.status === s).length;
  const failed = n('fail');
  return `${n('pass')} passed, ${failed} failed, ${n('skip')} skipped: ${failed === 0 ? 'ready' : 'NOT ready, fix the ✘ lines above'}`;
}

export interface DoctorJson {
  readonly ok: boolean;
  readonly config: string;
  readonly vehicleId: string;
  readonly steps: readonly StepReport[];
}
