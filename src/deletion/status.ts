/**
 * The deletion part of `status`: disk usage per filesystem holding watched directories, what a
 * pass would delete right now (a dry run of every policy, age-based included, through the same
 * safety layers), and the last pass the daemon recorded. Read-only: works on a read-only
 * connection while the daemon runs.
 */
import type { PassDeps } from './pass.js';
import { AGE_LAST_RUN_KEY, LAST_PASS_KEY, runDeletionPass } from './pass.js';
import type { Pressure } from './policies.js';

export interface FilesystemStatus {
  readonly path: string;
  readonly dirs: readonly string[];
  readonly usedPercent: number;
  readonly availableBytes: number;
  readonly totalBytes: number;
  readonly pressure: Pressure;
}

export interface LastPass {
  readonly at: number;
  readonly trigger: string;
  readonly deleted: number;
  readonly bytes: number;
  readonly notUploaded: number;
}

export interface DeletionStatus {
  readonly filesystems: readonly FilesystemStatus[];
  readonly deletableNow: { readonly files: number; readonly bytes: number; readonly notUploaded: number };
  readonly lastPass: LastPass | null;
  readonly lastAgeBasedRunAt: number | null;
}

/** `dryRun` must be pass dependencies built with `dryRun: true` (buildDeletion). */
export async function deletionStatus(dryRun: PassDeps): Promise<DeletionStatus> {
  if (!dryRun.executor.dryRun) throw new Error('deletionStatus needs a dry-run executor');
  const report = await runDeletionPass(dryRun, { trigger: 'request', forceAgeBased: true });
  const lastRaw = dryRun.repo.getMeta(LAST_PASS_KEY);
  const ageRaw = dryRun.repo.getMeta(AGE_LAST_RUN_KEY);
  return {
    filesystems: report.filesystems.map((f) => ({
      path: f.path,
      dirs: f.dirs,
      usedPercent: f.before.usedPercent,
      availableBytes: f.before.availableBytes,
      totalBytes: f.before.usedBytes + f.before.availableBytes,
      pressure: f.pressure,
    })),
    deletableNow: { files: report.deletedCount, bytes: report.deletedBytes, notUploaded: report.notUploadedCount },
    lastPass: lastRaw === null ? null : parseLastPass(lastRaw),
    lastAgeBasedRunAt: ageRaw === null || !Number.isFinite(Number(ageRaw)) ? null : Number(ageRaw),
  };
}

function parseLastPass(raw: string): LastPass | null {
  try {
    const v = JSON.parse(raw) as Partial<LastPass>;
    return typeof v.at === 'number' ? { at: v.at, trigger: String(v.trigger), deleted: Number(v.deleted), bytes: Number(v.bytes), notUploaded: Number(v.notUploaded) } : null;
  } catch {
    return null;
  }
}

/** Human lines for `status` and `cleanup`. */
export function formatDeletionStatus(s: DeletionStatus): string[] {
  const lines = s.filesystems.map(
    (f) => `disk:      ${f.path}: ${f.usedPercent.toFixed(1)}% used, ${gib(f.availableBytes)} GiB available of ${gib(f.totalBytes)} GiB (${f.pressure})`,
  );
  lines.push(`deletable: ${s.deletableNow.files} files, ${gib(s.deletableNow.bytes)} GiB now${s.deletableNow.notUploaded > 0 ? ` (${s.deletableNow.notUploaded} NOT uploaded)` : ''}`);
  const p = s.lastPass;
  lines.push(p === null ? 'deleted:   no deletion pass recorded yet' : `deleted:   ${p.deleted} files, ${gib(p.bytes)} GiB in the last pass (${p.trigger}, ${new Date(p.at).toISOString()})`);
  return lines;
}

export function gib(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(2);
}
