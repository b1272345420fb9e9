/**
 * Doctor steps, one per filesystem holding the state directory or a watched directory: usage as
 * `df` shows it (disk/usage.ts), against disk.warning_threshold and disk.critical_threshold. At
 * the critical threshold the step fails: the daemon would be deleting logs to make room (with
 * emergency deletion) or filling the disk (without).
 */
import { diskUsage, type DiskUsage } from '../disk/usage.js';
import { fail, pass, type DoctorContext, type DoctorStep, type StepOutcome } from './step.js';

const GB = 1e9;

interface Filesystem {
  readonly usage: DiskUsage;
  /** The configured paths that live on it. */
  readonly paths: string[];
}

/** The configured paths grouped by the filesystem that holds them, in config order. */
async function filesystems(ctx: DoctorContext): Promise<Filesystem[] | string> {
  const paths = [ctx.config.stateDir, ...ctx.config.logDirectories.map((d) => d.path)];
  const out: Filesystem[] = [];
  for (const p of paths) {
    let usage: DiskUsage;
    try {
      usage = await diskUsage(p, ctx.diskIo);
    } catch (err) {
      return `cannot measure the filesystem of ${p}: ${err instanceof Error ? err.message : String(err)}`;
    }
    const same = out.find((f) => f.usage.device === usage.device);
    if (same === undefined) out.push({ usage, paths: [p] });
    else same.paths.push(p);
  }
  return out;
}

function judge(ctx: DoctorContext, fs: Filesystem): StepOutcome {
  const { warningThreshold, criticalThreshold, reservedGb } = ctx.config.disk;
  const u = fs.usage;
  const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
  const used = u.usedPercent / 100;
  const detail = `${u.usedPercent.toFixed(1)} % used, ${(u.availableBytes / GB).toFixed(1)} GB free of ${(u.totalBytes / GB).toFixed(1)} GB; holds ${fs.paths.join(', ')}`;
  if (used >= criticalThreshold) {
    return fail(
      `${detail}: at or above disk.critical_threshold (${pct(criticalThreshold)})`,
      `free space on ${u.measuredPath} (or upload and delete old logs: deletion.* settings); the daemon needs room for its spool and state`,
    );
  }
  const notes: string[] = [];
  if (used >= warningThreshold) notes.push(`above disk.warning_threshold (${pct(warningThreshold)})`);
  if (u.availableBytes < reservedGb * GB) notes.push(`less free than disk.reserved_gb (${reservedGb} GB)`);
  return pass(notes.length === 0 ? detail : `${detail}; ${notes.join(', ')}`);
}

/** One step that measures every filesystem and reports each on its own line. */
export const diskStep: DoctorStep = {
  id: 'disk',
  title: 'disk usage',
  async run(ctx) {
    const found = await filesystems(ctx);
    if (typeof found === 'string') return fail(found, 'check that the configured paths are on mounted filesystems');
    const judged = found.map((f) => ({ f, o: judge(ctx, f) }));
    const failed = judged.filter((j) => j.o.status === 'fail');
    const lines = judged.map((j) => `${j.f.usage.measuredPath}: ${j.o.detail}`).join('\n');
    if (failed.length > 0) return fail(lines, failed.map((j) => j.o.fix).join('\n'));
    return pass(lines);
  },
};
