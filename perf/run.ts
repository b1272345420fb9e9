/**
 * `npm run perf [-- options]`: runs the perf suites against the real daemon and writes one JSON
 * file per run to perf/results/ (git-ignored). Never part of `npm test`; figures are reported,
 * targets are checked but never fail the run. Exit code 1 only when a suite could not run.
 *
 *   --suite NAME      run only this suite (repeatable, or comma-separated); default: all but the
 *                     on-demand ones (soak)
 *   --quick           scaled-down sizes for CI smoke and development
 *   --no-compare      skip rclone / awscli
 *   --primary-only    skip the extra tuning variants of a suite
 *   --runtime R       dist (default: compiled to a temp dir) or tsx (run the sources)
 *   --out DIR         where the JSON goes (default perf/results)
 *   --node-flag F     extra node flag for every daemon run (repeatable; e.g. --cpu-prof)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult } from './result-types.js';
import { probeTools } from './harness/compare-tools.js';
import { prepareRuntime, REPO } from './harness/runtime.js';
import { loadavg, type Suite } from './harness/suite-context.js';
import { gitInfo, machineInfo } from './machine.js';
import { summaryLines } from './report/summary.js';
import { parseRunArgs } from './run-args.js';
import { SUITES } from './suites/index.js';

async function main(): Promise<number> {
  const byDefault = SUITES.filter((s) => s.onDemand !== true).map((s) => s.name);
  const args = parseRunArgs(process.argv.slice(2), SUITES.map((s) => s.name), join(REPO, 'perf', 'results'), byDefault);
  const log = (s: string): void => void process.stderr.write(`[perf ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  const startedAt = new Date();
  // Read now: what is measured is the tree at the start (compiled below), not whatever was
  // committed while the suites ran.
  const git = gitInfo();
  const loadBefore = loadavg();
  log(`load average before: ${loadBefore.join(' ')}`);
  const { runtime, note } = await prepareRuntime(args.runtime, log);
  if (note) log(note);
  const tools = await probeTools();
  for (const t of tools) log(`${t.tool}: ${t.skipReason ?? t.version ?? ''}`);
  const results = [];
  try {
    for (const name of args.suites) {
      const suite = SUITES.find((s) => s.name === name) as Suite;
      log(`=== ${suite.name}${args.quick ? ' (quick)' : ''}`);
      results.push(await suite.run({ quick: args.quick, runtime, tools, compare: args.compare, variants: args.variants, nodeFlags: args.nodeFlags, log }));
    }
  } finally {
    runtime.dispose();
  }
  const run: RunResult = {
    schema: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: args.quick,
    runtime: { kind: runtime.kind, note },
    git,
    machine: machineInfo(),
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg(),
    tools: tools.map((t) => ({ tool: t.tool, version: t.version, skipReason: t.skipReason })),
    suites: results,
  };
  mkdirSync(args.out, { recursive: true });
  const file = join(args.out, `${startedAt.toISOString().replace(/[:.]/g, '-')}${args.quick ? '-quick' : ''}.json`);
  writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
  process.stdout.write(`${summaryLines(run).join('\n')}\n\nwritten: ${file}\n`);
  return results.some((r) => r.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`perf: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
