/**
 * The flow every upload suite shares (thousand, small-files, large-file, throttled):
 *
 *   generate data (staging) ─► start s3rver process (one bucket per run)
 *     ─► each daemon variant (perf/harness/daemon-bench.ts), files moved in and back
 *     ─► each comparison tool on the same staging data, same server, own bucket
 *     ─► targets ─► stop server, delete everything
 *
 * A suite only declares its data, its variants, which one is primary and its targets.
 */
import { join } from 'node:path';
import type { Dataset } from '../data/file-set.js';
import { datasetTotals } from '../data/file-set.js';
import type { DaemonResult, SuiteResult, TargetCheck, ToolResult } from '../result-types.js';
import { runTool, type ToolName, type ToolProbe } from './compare-tools.js';
import { runDaemonVariant, type VariantSpec } from './daemon-bench.js';
import { cpuTimes, diffCpu, round } from './proc-stats.js';
import { ServerProcess } from './server-process.js';
import { ensureDiskSpace, failedSuite, loadavg, withWorkDir, type SuiteContext } from './suite-context.js';

type RawDaemonResult = DaemonResult & { uploadTimes: number[]; uploadSent: number[] };

export interface UploadSuiteSpec {
  readonly name: string;
  readonly description: string;
  /** Upper bound of the data's size, for the disk-space check. */
  readonly approxBytes: number;
  readonly datasetNote: string;
  generate(root: string): Promise<Dataset>;
  /** The first one is primary; the others run only with extra variants enabled. */
  readonly variants: readonly Omit<VariantSpec, 'bucket'>[];
  readonly compare: boolean;
  /**
   * Extra command-line arguments per comparison tool (the link suite's `--bwlimit`); a tool
   * without an entry is skipped when this is given, since it would not run under the same terms.
   */
  readonly toolArgs?: { readonly [T in ToolName]?: readonly string[] };
  /** Adds suite-specific figures to a daemon result (the throttled suite's rate). */
  decorate?(r: RawDaemonResult): DaemonResult;
  targets(daemon: readonly DaemonResult[], tools: readonly ToolResult[]): TargetCheck[];
}

const bucketFor = (name: string): string => `perf-${name}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');

async function runComparison(probe: ToolProbe, ctx: SuiteContext, server: ServerProcess, dataset: Dataset, workDir: string, ourWallS: number | null, toolArgs: UploadSuiteSpec['toolArgs']): Promise<ToolResult> {
  const base = { tool: probe.tool, version: probe.version };
  const none = { wallS: null, filesPerS: null, sourceMBps: null, cpu: null, peakRssMb: null, objects: null, ourRatio: null };
  if (probe.skipReason !== null) return { ...base, ...none, status: 'skipped', reason: probe.skipReason };
  const args = toolArgs === undefined ? [] : toolArgs[probe.tool];
  if (args === undefined) return { ...base, ...none, status: 'skipped', reason: 'not comparable in this suite (no equivalent option)' };
  ctx.log(`  ${probe.tool}: uploading the same ${dataset.files.length} files raw${args.length > 0 ? ` (${args.join(' ')})` : ''}`);
  const bucket = bucketFor(`cmp-${probe.tool}`);
  const s0 = cpuTimes(server.pid);
  const r = await runTool(probe.tool, dataset.root, server.endpoint, bucket, workDir, args);
  const s1 = cpuTimes(server.pid);
  const listing = await server.list(bucket);
  server.dropBucket(bucket);
  const complete = listing.count === dataset.files.length && listing.bytes === dataset.bytes;
  const status = r.code === 0 && complete ? 'ok' : 'failed';
  const reason =
    status === 'ok'
      ? null
      : `exit ${r.code}; ${listing.count}/${dataset.files.length} objects, ${listing.bytes}/${dataset.bytes} bytes; ${r.output.trim().split('\n').slice(-3).join(' | ')}`;
  ctx.log(`  ${probe.tool}: ${status} in ${r.wallS} s (CPU ${r.cpu.total} s)`);
  return {
    ...base,
    status,
    reason,
    wallS: r.wallS,
    filesPerS: round(dataset.files.length / r.wallS, 1),
    sourceMBps: round(dataset.bytes / 1e6 / r.wallS, 1),
    cpu: { tool: r.cpu, server: s0 && s1 ? diffCpu(s0, s1) : { user: 0, sys: 0, total: 0 } },
    peakRssMb: r.peakRssMb,
    objects: { listed: listing.count, listedBytes: listing.bytes },
    ourRatio: status === 'ok' && ourWallS !== null ? round(ourWallS / r.wallS, 2) : null,
  };
}

export async function runUploadSuite(ctx: SuiteContext, spec: UploadSuiteSpec): Promise<SuiteResult> {
  const started = performance.now();
  const before = loadavg();
  try {
    // The data, plus one run's objects and, while s3rver assembles a multipart upload, its parts
    // (every run's objects are deleted once checked).
    ensureDiskSpace(spec.approxBytes * 3, spec.name);
    return await withWorkDir(spec.name, async (workDir) => {
      ctx.log(`${spec.name}: generating data`);
      const g0 = performance.now();
      const dataset = await spec.generate(join(workDir, 'data'));
      const generateS = round((performance.now() - g0) / 1000, 1);
      const variants = (ctx.variants ? spec.variants : spec.variants.slice(0, 1)).map((v) => ({
        ...v,
        bucket: bucketFor(v.name),
        nodeFlags: [...(v.nodeFlags ?? []), ...ctx.nodeFlags],
      }));
      const probes = spec.compare && ctx.compare ? ctx.tools : [];
      const buckets = [...variants.map((v) => v.bucket), ...probes.map((p) => bucketFor(`cmp-${p.tool}`))];
      const server = await ServerProcess.start(join(workDir, 's3'), buckets);
      const daemon: DaemonResult[] = [];
      const tools: ToolResult[] = [];
      try {
        for (const v of variants) {
          const raw = await runDaemonVariant({ workDir, dataset, server, runtime: ctx.runtime, log: ctx.log }, v);
          const { uploadTimes: _t, uploadSent: _s, ...plain } = raw;
          daemon.push(spec.decorate ? spec.decorate(raw) : plain);
        }
        const primaryWall = daemon[0]?.wallS ?? null;
        for (const p of probes) tools.push(await runComparison(p, ctx, server, dataset, workDir, primaryWall, spec.toolArgs));
      } finally {
        await server.stop();
      }
      const serverMem = server.sampler.stop();
      return {
        name: spec.name,
        description: spec.description,
        status: 'ok' as const,
        error: null,
        dataset: { files: dataset.files.length, bytes: dataset.bytes, kinds: datasetTotals(dataset.files), note: spec.datasetNote, generateS },
        primary: variants[0]?.name ?? null,
        daemon,
        tools: spec.compare ? (ctx.compare ? tools : ctx.tools.map((t) => ({ tool: t.tool, status: 'skipped' as const, reason: '--no-compare', version: t.version, wallS: null, filesPerS: null, sourceMBps: null, cpu: null, peakRssMb: null, objects: null, ourRatio: null }))) : [],
        targets: spec.targets(daemon, tools),
        serverPeakRssMb: serverMem.peakRssMb,
        loadavgBefore: before,
        loadavgAfter: loadavg(),
        durationS: round((performance.now() - started) / 1000, 1),
      };
    });
  } catch (err) {
    ctx.log(`${spec.name}: FAILED: ${(err as Error).message}`);
    return failedSuite(spec, err, started, before);
  }
}
