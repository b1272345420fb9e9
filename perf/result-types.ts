/**
 * The shape of one perf run's JSON file under perf/results/ (schema 1). The report reads these
 * files, so fields are only ever added; a renamed field would break comparisons with old runs.
 * Units are in the names: S seconds, Mb mebibytes (2^20), MBps decimal megabytes per second.
 */
import type { ResolvedKnobs } from './harness/daemon-config.js';
import type { ToolName } from './harness/compare-tools.js';
import type { Sample } from './harness/soak-stats.js';

export interface Cpu {
  readonly user: number;
  readonly sys: number;
  readonly total: number;
}

export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly platform: string;
  readonly kernel: string;
  readonly tmpFreeGb: number;
}

export interface EventLoop {
  readonly resolutionMs: number;
  readonly samples: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** One run of the real daemon over a suite's data. */
export interface DaemonResult {
  readonly variant: string;
  readonly description: string;
  /** watch: daemon running, files moved in; backlog: files present, daemon started; idle: nothing changes. */
  readonly mode: 'watch' | 'backlog' | 'idle';
  readonly config: ResolvedKnobs;
  /** node/V8 flags the daemon ran with (none = Node's defaults). */
  readonly nodeFlags: readonly string[];
  /** Extra environment the daemon ran with (none = inherited). Absent in runs before it existed. */
  readonly env?: Readonly<Record<string, string>>;
  /** From the measurement start (files complete, or process spawn for backlog) to the last confirmed object. */
  readonly wallS: number;
  /**
   * watch only: how long renaming the files into the trees took. The daemon starts on the first
   * files meanwhile, so work done in this interval is not inside wallS (it is inside the CPU figures).
   */
  readonly placeS?: number | null;
  /** backlog only: spawn → 'tvm-upload running', and 'running' → last object. */
  readonly startupS: number | null;
  readonly fromRunningS: number | null;
  readonly files: number;
  readonly filesPerS: number;
  readonly sourceBytes: number;
  readonly sourceMBps: number;
  /** Object body bytes sent (sum of the daemon's sentBytes; request headers excluded). */
  readonly wireBytes: number;
  readonly wireMBps: number;
  readonly codecs: Record<string, number>;
  /** Files per codec and level ("gzip-8"); absent in results from before levels were logged. */
  readonly levels?: Record<string, number>;
  readonly cpu: {
    readonly daemon: Cpu;
    readonly server: Cpu;
    readonly daemonPerSourceGbS: number | null;
    /** The daemon's CPU by thread: main thread, and the busiest other threads (workers, V8, libuv). */
    readonly threads: { readonly main: number; readonly others: number[] } | null;
  };
  readonly memory: {
    readonly hwmMb: number;
    readonly peakRssMb: number;
    readonly meanRssMb: number;
    /** RSS when the daemon reported 'tvm-upload running' (before the measured work). */
    readonly startRssMb: number;
    readonly budgetMb: number;
    readonly budgetTerms: Record<string, number>;
    /** Peaks of the main thread's heap figures (heapTotal, heapUsed, external, arrayBuffers) in the window. */
    readonly mainHeapPeakMb: Record<string, number> | null;
    /** Only in diagnostic runs with --node-flag --expose-gc: live main-thread heap at the end of the window. */
    readonly mainHeapAfterGcMb?: number | null;
  };
  readonly eventLoop: EventLoop | null;
  readonly objects: { readonly expected: number; readonly listed: number; readonly listedBytes: number; readonly verified: number; readonly verifyFailures: string[] };
  readonly problems: string[];
  readonly exitCode: number | null;
  /** Only for the throttled suite: achieved wire rate against the cap. */
  readonly throttle?: { readonly capMBps: number; readonly achievedMBps: number; readonly ratio: number; readonly steadyMBps: number | null };
  /** The link suite: source bytes per byte on the wire (what compression saved on the link). */
  readonly link?: { readonly sourceToWire: number | null };
  /** Only for the idle suite. */
  readonly idle?: {
    readonly windowS: number;
    /** The steady window starts this many seconds after the last upload of the backlog. */
    readonly steadyAfterS?: number;
    /** The steady window (what the target judges; `cpu` above is this window's too). */
    readonly cpuSPerMinute: number;
    /** A bare node process with the same probe over the same window: the probe's own share. */
    readonly probeAloneCpuSPerMinute: number | null;
    /** The first window, 5 s after the backlog: the uploads' garbage being collected. */
    readonly afterBacklog?: { readonly cpuSPerMinute: number; readonly mainCpuS: number; readonly otherThreadsCpuS: number; readonly serverCpuS: number };
  };
  /** Only for the soak suite: data generated while the daemon runs, every object checked. */
  readonly soak?: SoakFigures;
}

export interface SoakFigures {
  readonly targetBytes: number;
  /** Files written by the harness and their total size (the last file may pass the target). */
  readonly files: number;
  readonly bytes: number;
  readonly binaryFiles: number;
  readonly binaryBytes: number;
  readonly sampleIntervalS: number;
  /**
   * The slope and steadiness use the samples between the warm-up (this share of the time to the
   * last file written) and the last file written (after it the working set drains).
   */
  readonly warmupShare: number;
  readonly lastWriteS: number;
  /** Bound on files waiting on disk, and the most that waited. */
  readonly workingSet: { readonly capBytes: number; readonly peakBytes: number };
  /** Least-squares RSS slope after warm-up, MiB per hour (≈ 0 without a leak), and the tolerance. */
  readonly rssSlopeMbPerHour: number | null;
  readonly rssSlopeToleranceMbPerHour: number;
  /**
   * Only with node --expose-gc: the main isolate's heap after a full GC at each sample in the same
   * window (first, last, least and most, MiB) and its slope, MiB per hour: growth here is a leak
   * of JavaScript objects, whatever RSS does.
   */
  readonly heapAfterGc?: {
    readonly first: number;
    readonly last: number;
    readonly min: number;
    readonly max: number;
    readonly samples: number;
    readonly slopeMbPerHour: number | null;
    /** (seconds since the start, MiB) per sample in the window: a plateau and a line fit alike. */
    readonly points?: ReadonlyArray<readonly [number, number]>;
  };
  /** Source MB/s per sample interval after warm-up, their mean and coefficient of variation. */
  readonly intervalMBps: readonly number[];
  readonly meanMBps: number | null;
  readonly throughputCv: number | null;
  readonly verification: {
    /** Objects found under the right key with the right size and source receipts (HEAD). */
    readonly headOk: number;
    /** Downloaded, decoded and compared by SHA-256 (seeded 1 in sampleEvery, and every multipart one). */
    readonly sampled: number;
    readonly sampleEvery: number;
    readonly multipart: number;
    readonly roundTripOk: number;
    /** Objects with a failed check, plus 'uploaded' lines for files not pending (duplicates). */
    readonly failedObjects: number;
    readonly unexpected: number;
    readonly failures: readonly string[];
  };
  /** Objects left in the bucket after every checked one was deleted (should be none). */
  readonly leftoverObjects: number;
  readonly harnessCpuS: number;
  readonly loadavg1Mean: number | null;
  readonly samples: readonly Sample[];
}

export interface ToolResult {
  readonly tool: ToolName;
  readonly status: 'ok' | 'skipped' | 'failed';
  readonly reason: string | null;
  readonly version: string | null;
  readonly wallS: number | null;
  readonly filesPerS: number | null;
  readonly sourceMBps: number | null;
  readonly cpu: { readonly tool: Cpu; readonly server: Cpu } | null;
  readonly peakRssMb: number | null;
  readonly objects: { readonly listed: number; readonly listedBytes: number } | null;
  /** Our primary variant's wall time divided by this tool's (below 1: we are faster). */
  readonly ourRatio: number | null;
}

export interface TargetCheck {
  readonly target: string;
  readonly value: number | null;
  /** value ≤ limit, value ≥ limit, or |value − 1| ≤ limit. */
  readonly op: '<=' | '>=' | 'within';
  readonly limit: number;
  readonly unit: string;
  /** null when the figure could not be measured (e.g. rclone absent). */
  readonly met: boolean | null;
}

export interface DatasetInfo {
  readonly files: number;
  readonly bytes: number;
  readonly kinds: Record<string, { files: number; bytes: number }>;
  readonly note: string;
  readonly generateS: number;
}

export interface SuiteResult {
  readonly name: string;
  readonly description: string;
  readonly status: 'ok' | 'failed';
  readonly error: string | null;
  readonly dataset: DatasetInfo | null;
  /** The variant whose figures are the suite's headline (and compared with the tools). */
  readonly primary: string | null;
  readonly daemon: DaemonResult[];
  readonly tools: ToolResult[];
  readonly targets: TargetCheck[];
  readonly serverPeakRssMb: number | null;
  readonly loadavgBefore: number[];
  readonly loadavgAfter: number[];
  readonly durationS: number;
}

export interface RunResult {
  readonly schema: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly quick: boolean;
  readonly runtime: { readonly kind: 'dist' | 'tsx'; readonly note: string | null };
  readonly git: { readonly commit: string | null; readonly dirty: boolean | null };
  readonly machine: MachineInfo;
  readonly loadavgBefore: number[];
  readonly loadavgAfter: number[];
  readonly tools: { readonly tool: ToolName; readonly version: string | null; readonly skipReason: string | null }[];
  readonly suites: SuiteResult[];
}
