/**
 * The report: a later run set against an earlier one metric by metric, with the direction of
 * "better" per metric and small changes called noise; and the markdown for PERFORMANCE.md.
 */
import { expect } from 'chai';
import { compareRuns, comparisonText } from '../report/compare.js';
import { runMarkdown } from '../report/markdown.js';
import { metricRows } from '../report/metrics.js';
import { summaryLines } from '../report/summary.js';
import type { DaemonResult, RunResult, SuiteResult } from '../result-types.js';

function daemon(over: Partial<DaemonResult>): DaemonResult {
  return {
    variant: 'watch',
    description: 'defaults',
    mode: 'watch',
    config: { fileStableSeconds: 0, concurrency: 4, partConcurrency: 2, partSizeMb: 8, workers: 1, codec: 'gzip', level: 6, maxLevel: 6, maxMbps: null, watchedDirs: 4 },
    nodeFlags: [],
    wallS: 10,
    startupS: null,
    fromRunningS: null,
    files: 1000,
    filesPerS: 100,
    sourceBytes: 1e9,
    sourceMBps: 100,
    wireBytes: 2e8,
    wireMBps: 20,
    codecs: { gzip: 1000 },
    cpu: { daemon: { user: 8, sys: 2, total: 10 }, server: { user: 1, sys: 1, total: 2 }, daemonPerSourceGbS: 10, threads: { main: 3, others: [6, 1] } },
    memory: { hwmMb: 150, peakRssMb: 149, meanRssMb: 120, startRssMb: 90, budgetMb: 96, budgetTerms: {}, mainHeapPeakMb: null },
    eventLoop: { resolutionMs: 10, samples: 100, meanMs: 1, p50Ms: 0.5, p99Ms: 20, maxMs: 40 },
    objects: { expected: 1000, listed: 1000, listedBytes: 2e8, verified: 3, verifyFailures: [] },
    problems: [],
    exitCode: 0,
    ...over,
  };
}

function run(d: DaemonResult, quick = false): RunResult {
  const suite: SuiteResult = {
    name: 'thousand',
    description: 'd',
    status: 'ok',
    error: null,
    dataset: { files: 1000, bytes: 1e9, kinds: {}, note: '', generateS: 1 },
    primary: 'watch',
    daemon: [d],
    tools: [{ tool: 'rclone', status: 'ok', reason: null, version: 'v1', wallS: 12, filesPerS: 83, sourceMBps: 83, cpu: { tool: { user: 5, sys: 2, total: 7 }, server: { user: 3, sys: 1, total: 4 } }, peakRssMb: 70, objects: { listed: 1000, listedBytes: 1e9 }, ourRatio: d.wallS / 12 }],
    targets: [{ target: 'files per second', value: d.filesPerS, op: '>=', limit: 400, unit: 'files/s', met: d.filesPerS >= 400 }],
    serverPeakRssMb: 100,
    loadavgBefore: [1, 1, 1],
    loadavgAfter: [2, 1, 1],
    durationS: 30,
  };
  return {
    schema: 1,
    startedAt: '2026-11-30T00:00:00.000Z',
    finishedAt: '2026-11-30T00:10:00.000Z',
    quick,
    runtime: { kind: 'dist', note: null },
    git: { commit: 'abcdef1234567890', dirty: false },
    machine: { cores: 2, cpuModel: 'cpu', memoryGb: 24, node: 'v20', platform: 'linux', kernel: '6', tmpFreeGb: 80 },
    loadavgBefore: [1, 1, 1],
    loadavgAfter: [2, 2, 2],
    tools: [],
    suites: [suite],
  };
}

describe('perf report', () => {
  it('marks a faster wall time and a higher rate as better, a larger footprint as worse, and < 5 % as noise', () => {
    const before = run(daemon({}));
    const after = run(daemon({ wallS: 8, filesPerS: 125, memory: { ...daemon({}).memory, hwmMb: 180 }, sourceMBps: 102 }));
    const rows = compareRuns(before, after);
    const find = (metric: string) => rows.find((r) => r.subject === 'thousand / watch' && r.metric === metric)!;
    expect(find('wall s')).to.deep.include({ before: 10, after: 8, changePct: -20, verdict: 'better' });
    expect(find('files/s')).to.deep.include({ changePct: 25, verdict: 'better' });
    expect(find('peak RSS MiB (VmHWM)')).to.deep.include({ changePct: 20, verdict: 'worse' });
    expect(find('source MB/s').verdict).to.equal('~');
    expect(rows.find((r) => r.subject === 'thousand / rclone' && r.metric === 'our wall ÷ tool wall')).to.deep.include({ verdict: 'better' });
  });

  it('shows the latest run alone when there is nothing to compare with, and warns when quick meets full', () => {
    expect(compareRuns(null, run(daemon({}))).every((r) => r.before === null && r.verdict === '')).to.equal(true);
    const text = comparisonText(run(daemon({}), true), run(daemon({})), { before: 'a.json', after: 'b.json' });
    expect(text.join('\n')).to.match(/one run is --quick/);
  });

  it('renders a run as markdown with the primary variant marked, the ratio to rclone and the targets', () => {
    const md = runMarkdown(run(daemon({}))).join('\n');
    expect(md).to.include('| **watch** | 10 | 100 | 100 | 200 | 10 | 2 | 150 / 149 | 20 | 0.83× |');
    expect(md).to.include('| rclone (raw) | 12 |');
    expect(md).to.match(/Target: files per second: 100 files\/s \(target >= 400\) MISSED/);
    expect(md).to.include('Daemon CPU by thread: main 3 s, others 6, 1 s.');
  });

  it('says how far a capped run may raise the level and how many files went out at each level', () => {
    const fixed = runMarkdown(run(daemon({}))).join('\n');
    expect(fixed).to.include('gzip-6, max_mbps unlimited');
    expect(fixed).to.not.include('Files per level');
    const raised = runMarkdown(run(daemon({ config: { ...daemon({}).config, maxLevel: 9, maxMbps: 16 }, levels: { 'gzip-6': 6, 'gzip-8': 194 } }))).join('\n');
    expect(raised).to.include('gzip-6 (up to 9 under a cap), max_mbps 16');
    expect(raised).to.include('Files per level: gzip-6 6, gzip-8 194.');
  });

  it("shows the soak suite's slope, steadiness and checks in the markdown, the metric rows and the summary", () => {
    const soak = {
      targetBytes: 5e9,
      files: 800,
      bytes: 5.01e9,
      binaryFiles: 24,
      binaryBytes: 1.5e8,
      sampleIntervalS: 10,
      warmupShare: 0.2,
      lastWriteS: 100,
      workingSet: { capBytes: 2 ** 30, peakBytes: 1.05e9 },
      rssSlopeMbPerHour: 1.25,
      rssSlopeToleranceMbPerHour: 5,
      intervalMBps: [40, 42],
      meanMBps: 41,
      throughputCv: 0.024,
      verification: { headOk: 799, sampled: 60, sampleEvery: 50, multipart: 45, roundTripOk: 60, failedObjects: 1, unexpected: 0, failures: ['x'] },
      leftoverObjects: 0,
      harnessCpuS: 30,
      loadavg1Mean: 2.5,
      samples: [],
    };
    const r = run(daemon({ variant: 'soak', soak }));
    const md = runMarkdown(r).join('\n');
    expect(md).to.include('RSS slope 1.25 MiB/h (tolerance ±5), 41 MB/s per 10 s interval (CV 0.024), mean 1-min load 2.5.');
    expect(md).to.include('Checked: 799 objects by key, size and receipts, 60/60 round-tripped by SHA-256 (1 in 50 and all 45 multipart), 1 failed');
    const rows = metricRows(r).filter((x) => x.subject === 'thousand / soak');
    expect(rows.find((x) => x.metric === 'RSS slope after warm-up MiB/h')?.value).to.equal(1.25);
    expect(rows.find((x) => x.metric === 'objects failing a check')?.value).to.equal(1);
    expect(summaryLines(r).join('\n')).to.include('RSS slope 1.25 MiB/h, throughput CV 0.024, 1 failed objects');
  });
});
