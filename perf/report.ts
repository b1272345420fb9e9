/**
 * `npm run perf:report [-- options]`: compares the latest perf run in perf/results/ with an
 * earlier one, metric by metric, or prints one run as markdown for docs/PERFORMANCE.md.
 *
 *   --against X   the earlier run: a file name (or path) in the results folder, or a number
 *                 N = the Nth earlier run of the same kind (quick or full) as the latest
 *                 (default 1: the previous one)
 *   --latest X    use this run as the latest instead of the newest file
 *   --markdown    print the latest run as markdown tables instead of comparing
 *   --dir DIR     results folder (default perf/results)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunResult } from './result-types.js';
import { comparisonText } from './report/compare.js';
import { runMarkdown } from './report/markdown.js';
import { REPO } from './harness/runtime.js';

interface ReportArgs {
  against: string;
  latest: string | null;
  markdown: boolean;
  dir: string;
}

function parseArgs(argv: readonly string[]): ReportArgs {
  const a: ReportArgs = { against: '1', latest: null, markdown: false, dir: join(REPO, 'perf', 'results') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${arg} needs a value`);
      return x;
    };
    if (arg === '--against') a.against = value();
    else if (arg === '--latest') a.latest = value();
    else if (arg === '--markdown') a.markdown = true;
    else if (arg === '--dir') a.dir = value();
    else throw new Error(`unknown option ${arg} (see perf/report.ts for usage)`);
  }
  return a;
}

/** Result files, oldest first (names start with the run's ISO time). */
export function listRuns(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

function resolveRun(dir: string, x: string): string {
  const path = existsSync(x) ? x : join(dir, x);
  if (existsSync(path)) return path;
  throw new Error(`no run "${x}" in ${dir}`);
}

const load = (path: string): RunResult => JSON.parse(readFileSync(path, 'utf8')) as RunResult;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const runs = listRuns(args.dir);
  if (runs.length === 0) throw new Error(`no perf results in ${args.dir}; run \`npm run perf\` first`);
  const latestPath = args.latest !== null ? resolveRun(args.dir, args.latest) : runs[runs.length - 1]!;
  const latest = load(latestPath);
  if (args.markdown) {
    process.stdout.write(`${runMarkdown(latest).join('\n')}\n`);
    return;
  }
  let beforePath: string | null;
  if (/^\d+$/.test(args.against)) {
    // Quick and full runs use different sizes: by default compare like with like.
    const sameKind = runs.filter((r) => r < latestPath && load(r).quick === latest.quick);
    beforePath = sameKind[sameKind.length - Number(args.against)] ?? null;
  } else {
    beforePath = resolveRun(args.dir, args.against);
  }
  const before = beforePath !== null ? load(beforePath) : null;
  const lines = comparisonText(before, latest, { before: beforePath ? basename(beforePath) : '', after: basename(latestPath) });
  process.stdout.write(`${lines.join('\n')}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`perf:report: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
