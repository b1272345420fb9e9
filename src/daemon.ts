/**
 * The composition root: builds the daemon's components in dependency order and tears them down
 * in reverse, from the source: stop watching → finish or checkpoint in-flight uploads → close the
 * worker pool → close the state store. No logic of its own beyond wiring and lifecycle.
 *
 *   Intake (watch, scan, stabilize) ─► FileRepo (SQLite queue) ─► Dispatcher ─► upload job
 *                                                                    │  compress (piscina)
 *                                                                    └► upload (S3Uploader)
 */
import { join } from 'node:path';
import type { Config } from './config/types.js';
import type { Logger } from './telemetry/logger.js';
import { Telemetry, type QueueByPriority } from './telemetry/events.js';
import { setGuardLogger } from './process-guards.js';
import { openStateStore, RECOVERY_PENDING_KEY, STATE_REBUILT_AT_KEY, type StateStore } from './state/store.js';
import { TOMBSTONE_RETENTION_MS } from './state/file-repo.js';
import { importLegacy } from './state/legacy-import.js';
import { CompressPool } from './workers/pool.js';
import { codecVersion } from './workers/codec-version.js';
import { prepareSpool } from './workers/spool-dir.js';
import { SpoolBudget } from './workers/spool-budget.js';
import type { DiskUsage } from './disk/usage.js';
import { createS3Client } from './sinks/s3/client.js';
import { S3Uploader } from './sinks/s3/uploader.js';
import { buildObjectKey } from './sinks/s3/object-key.js';
import { buildObjectMetadata, contentTypeFor } from './sinks/s3/metadata.js';
import { RetryPolicy, OperatorAlerts, classify } from './sinks/retry.js';
import { Throttle } from './sinks/throttle.js';
import { abortStaleUploads } from './sinks/s3/abort-stale.js';
import { CloudWatchSink, type SinkAlarmOptions } from './sinks/cloudwatch/sink.js';
import { cloudWatchChanged, reloadAlarmOptions, replaceCloudWatchSink } from './sinks/cloudwatch/replace.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { UploadGate } from './schedule/upload-gate.js';
import { metaPassLog } from './schedule/passes.js';
import { Dispatcher, stateRetryDelayMs } from './pipeline/dispatcher.js';
import { realClock, type Clock, type TimerHandle } from './clock/clock.js';
import { Intake } from './pipeline/intake.js';
import { createUploadJob } from './pipeline/upload-job.js';
import type { WatcherBackend } from './pipeline/watch-source.js';
import { lstatSource } from './pipeline/stat-probe.js';
import type { FileRecord } from './state/types.js';
import { planReload, type ReloadPlan } from './config/reload-plan.js';
import { buildDeletion, type DeletionProbes } from './deletion/build.js';
import { DeletionScheduler } from './deletion/scheduler.js';
import type { PassReport } from './deletion/pass.js';
import { deletionStatus, type DeletionStatus } from './deletion/status.js';
import { Health } from './telemetry/health.js';
import type { StatusReport } from './telemetry/status-report.js';
import { StatusService } from './telemetry/status-service.js';
import { StateReader } from './state/state-reader.js';
import { UploadPasses } from './telemetry/upload-pass.js';
import { LinkController, type LinkStatus } from './link/link-controller.js';
import { TransferWatch } from './sinks/transfer-watch.js';
import { MarkerBook } from './priority/marker-book.js';
import { queueByPriority, usesPriorities } from './priority/queue-stats.js';

export interface DaemonOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Time and timers of every component; default: the real clock. */
  readonly clock?: Clock;
  readonly watcher?: WatcherBackend;
  /** Telemetry to emit into (so listeners can attach before start-up uploads begin). */
  readonly telemetry?: Telemetry;
  /** How the spool's free space is measured (tests inject a full disk); default: statfs. */
  readonly spoolUsage?: (path: string) => Promise<DiskUsage>;
  /** Explicit S3 credentials (tests); default: the AWS credential chain. */
  readonly s3Credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Aborted when a stop is requested during start-up: the start-up scan is cut short. */
  readonly signal?: AbortSignal;
  /** Disk and file-system probes of the deletion policies (tests: a fake "disk full" statfs). */
  readonly deletionProbes?: DeletionProbes;
  /**
   * `once`: the standalone `upload-now` — no watchers, endpoint or housekeeping; the gate is
   * always open (schedule and operational hours do not apply); `runOnce()` scans and drains.
   */
  readonly mode?: 'daemon' | 'once';
  /** One-shot mode: files the scan finds still changing (not eligible yet). */
  readonly onRecent?: (file: { path: string; size: number; mtimeMs: number }) => void;
}

/** One-shot retries: a file gets this many attempts within the pass… */
export const ONE_SHOT_ATTEMPTS = 3;
/** …as long as its next attempt is due within this horizon (a longer backoff ends the pass). */
export const ONE_SHOT_RETRY_HORIZON_MS = 30_000;

export interface DaemonStatus {
  readonly queued: number;
  readonly inFlight: number;
  readonly uploaded: number;
  readonly active: number;
  /** Link, policy restriction, rate and cellular budget (upload.links); link null when not configured. */
  readonly link?: LinkStatus;
  /** Queued files and bytes per priority, when priorities, links or markers are configured. */
  readonly queueByPriority?: QueueByPriority;
}

const HOUR = 3_600_000;
/** How long the CloudWatch sink may spend sending its backlog at shutdown or before a reload replaces it. */
const METRICS_FLUSH_MS = 5_000;

/** The components a reload changes in place (the rest read `Daemon.config` at use). */
interface LiveParts {
  readonly throttle: Throttle;
  readonly link: LinkController;
  retry: RetryPolicy;
  readonly now: () => number;
  /** A CloudWatch sink for `config` (at start, and again when a reload changes monitoring.*). */
  readonly buildMetrics: (config: Config, telemetry: Pick<Telemetry, 'on'>, alarms?: SinkAlarmOptions) => CloudWatchSink;
}

export class Daemon {
  readonly telemetry: Telemetry;
  /** Why the daemon is degraded, if it is (logged, /metrics, /healthz 503). */
  readonly health: Health;
  private statusService: StatusService | null = null;
  private passes: UploadPasses | null = null;
  private closing: Promise<void> | null = null;
  private readonly intervals: TimerHandle[] = [];
  private deletion: DeletionScheduler | null = null;
  private deletionProbes: DeletionProbes = {};
  private clock: Clock = realClock;
  /** Pending retries of failed housekeeping tasks (at most one per task). */
  private readonly retries = new Set<TimerHandle>();
  /** A reload replacing the CloudWatch sink; close waits for it so the sink it closes is the last one. */
  private metricsSwap: Promise<void> = Promise.resolve();

  private constructor(
    private config: Config,
    private readonly logger: Logger,
    readonly store: StateStore,
    private readonly pool: CompressPool,
    private readonly dispatcher: Dispatcher,
    private readonly intake: Intake,
    private readonly gate: UploadGate,
    telemetry: Telemetry,
    private metrics: CloudWatchSink,
    private readonly s3: S3Client,
    private readonly live: LiveParts,
    health: Health,
  ) {
    this.telemetry = telemetry;
    this.health = health;
  }

  static async start(o: DaemonOptions): Promise<Daemon> {
    const { config, logger } = o;
    const clock = o.clock ?? realClock;
    const now = (): number => clock.now();
    const startedAt = now();
    const telemetry = o.telemetry ?? new Telemetry(logger);
    setGuardLogger(logger);
    const health = new Health(now);
    for (const w of config.warnings) logger.warn(w);

    const store = openStateStore({ dir: config.stateDir, logger, now });
    try {
      const legacy = importLegacy(store, {
        queueFile: config.upload.queueFile,
        registryFile: config.upload.processedFilesRegistry.registryFile,
        logDirectories: config.logDirectories,
        now: startedAt,
        logger,
        retentionDays: config.upload.processedFilesRegistry.retentionDays,
      });
      if (!legacy.alreadyDone && (legacy.imported.queued > 0 || legacy.imported.uploaded > 0 || legacy.imported.tombstones > 0)) {
        logger.info({ ...legacy.imported }, 'imported the Python daemon\'s queue and registry');
      }
      let recovering = store.meta.get(RECOVERY_PENDING_KEY) !== null;
      const rebuiltAt = Number(store.meta.get(STATE_REBUILT_AT_KEY) ?? Number.NEGATIVE_INFINITY);
      const retentionMs = config.upload.processedFilesRegistry.retentionDays * 24 * HOUR;
      const reset = store.files.resetInFlight();
      if (reset > 0) logger.info({ files: reset }, 'resuming uploads interrupted by the last shutdown');
      // The spool is a cache (compression is deterministic): start from an empty one, which also
      // removes .partial files left by a crash mid-compression. Only our own files are removed.
      const spoolDir = join(config.stateDir, 'spool');
      const foreign = await prepareSpool(spoolDir);
      if (foreign.length > 0) logger.warn({ dir: spoolDir, files: foreign.slice(0, 20), count: foreign.length }, 'spool holds files tvm-upload did not write; left in place');

      const { client } = createS3Client(config.s3, o.env ?? process.env, {
        maxSockets: config.upload.concurrency * config.upload.partConcurrency + 1,
        logger,
        ...(o.s3Credentials ? { credentials: o.s3Credentials } : {}),
      });
      const partSize = config.upload.partSizeMb * 1024 * 1024;
      const throttle = new Throttle({ bytesPerSecond: config.upload.bandwidth.maxBytesPerSecond, clock });
      const uploader = new S3Uploader({
        client,
        bucket: config.s3.bucket,
        s3: config.s3,
        partSize,
        partConcurrency: config.upload.partConcurrency,
        throttle,
        multipart: store.multipart,
        logger,
        conditionalWrites: config.s3.conditionalWrites,
      });
      // The dispatcher never has more than `concurrency` jobs out, so a pool that holds that many
      // (running + queued) never refuses one; the pool's own bound stays a second fence.
      const pool = new CompressPool({ threads: config.upload.workers, maxQueue: Math.max(config.upload.concurrency, config.upload.workers), logger });
      let daemonRef: Daemon | null = null;
      const link = new LinkController({
        config,
        budgetStore: store.meta,
        throttle,
        logger,
        timers: clock,
        onChange: (_decision, tightened) => {
          const n = tightened ? dispatcher.revoke('the link policy no longer allows this priority') : 0;
          if (n > 0) logger.info({ files: n }, 'interrupted uploads the link policy no longer allows; they resume when it does');
          daemonRef?.emitLinkState();
          dispatcher.wake();
        },
      });
      throttle.observer = new TransferWatch({
        stallMs: () => (daemonRef?.currentConfig ?? config).upload.stallTimeoutSeconds * 1000,
        onBytes: (n) => link.recordBytes(n),
        onStall: () => telemetry.emit({ type: 'upload.stalled', timeoutSeconds: (daemonRef?.currentConfig ?? config).upload.stallTimeoutSeconds }),
        timers: clock,
      });
      const markers = new MarkerBook(store.db, store.meta, now);
      telemetry.on((e) => {
        if (e.type === 'file.failed') link.probeSoon();
        if (e.type !== 'file.queued') return;
        const set = markers.onQueued(e.path, (daemonRef?.currentConfig ?? config).upload.markers);
        if (set === null) return;
        logger.info({ path: e.path, raised: set.raised, from: new Date(set.marker.from).toISOString(), to: new Date(set.marker.to).toISOString() }, 'incident marker file: files in its window upload as high');
        dispatcher.wake();
      });
      const once = o.mode === 'once';
      // The one-shot's uploads count in the metrics (the low-upload alarm must see them), but it
      // is not a service start and leaves alarm creation to the daemon. Nor is a reload a start.
      const buildMetrics: LiveParts['buildMetrics'] = (cfg, events, alarms) =>
        new CloudWatchSink({
          telemetry: events, outbox: store.outbox, config: cfg, logger, ...(o.env ? { env: o.env } : {}), timers: clock,
          ...(once ? { alarms: false, recordStartup: false } : alarms ? { alarms, recordStartup: false } : {}),
        });
      const live: LiveParts = { throttle, link, retry: RetryPolicy.fromConfig(config.upload), now, buildMetrics };
      const alerts = new OperatorAlerts(logger);
      // The one-shot ignores schedule and operational hours: a start-up drain that never ends
      // (startupComplete is a daemon-mode step) keeps its gate open for the whole pass.
      const gate = once
        ? new UploadGate({ ...config.upload, operationalHours: { enabled: false, start: 0, end: 0 }, uploadOnStart: true }, startedAt, { startupPending: true })
        : new UploadGate(config.upload, startedAt, { passLog: metaPassLog(store.meta), startupPending: true });

      const job = createUploadJob({
        files: store.files,
        keys: store.keys,
        compress: (j, signal) => pool.run(j, signal),
        upload: (req) =>
          uploader.upload({
            fileId: req.record.id,
            key: req.key,
            result: req.result,
            metadata: markers.withMarker(buildObjectMetadata({ vehicleId: config.vehicleId, path: req.record.path, result: req.result }), req.record.mtimeMs),
            contentType: contentTypeFor(req.key),
            verifyRemote: req.verifyRemote,
            replaces: req.replaces,
            signal: req.signal,
            encoding: { level: req.result.codec === 'none' ? 0 : config.upload.compression.level, version: codecVersion(req.result.codec) },
          }),
        objectKey: (rec: FileRecord, codec) =>
          buildObjectKey({ vehicleId: config.vehicleId, source: rec.source, relPath: rec.relPath, mtimeMs: rec.mtimeMs, codec }),
        classify,
        retryDelayMs: (attempts, err) => live.retry.nextDelayMs(attempts, err),
        alerts,
        telemetry,
        stat: lstatSource,
        now,
        spoolDir,
        compression: config.upload.compression,
        partSize,
        stableMs: config.upload.fileStableSeconds * 1000,
        keysKnownSince: () => Math.max(now() - retentionMs, rebuiltAt),
        spool: new SpoolBudget({ dir: spoolDir, reserveBytes: config.disk.reservedGb * 1024 ** 3, health, ...(o.spoolUsage ? { usage: o.spoolUsage } : {}) }),
      });

      const dispatcher = new Dispatcher({
        queue: store.files,
        gate,
        concurrency: config.upload.concurrency,
        job,
        timers: clock,
        onError: (err, rec) => logger.error({ err, path: rec.path }, 'internal error while processing a file'),
        health,
        admit: () => link.admit(),
      });
      const intake = new Intake({
        config,
        files: store.files,
        telemetry,
        logger,
        onQueued: () => dispatcher.wake(),
        marked: (mtimeMs) => markers.marked(mtimeMs),
        verifyRemote: () => recovering,
        clock,
        health,
        ...(o.watcher ? { watcher: o.watcher } : {}),
        ...(o.onRecent ? { onRecent: o.onRecent } : {}),
      });
      const metrics = buildMetrics(config, telemetry);
      const daemon = new Daemon(config, logger, store, pool, dispatcher, intake, gate, telemetry, metrics, client, live, health);
      daemonRef = daemon;
      try {
        await link.start();
        const statusService = new StatusService({ config, store, telemetry, health: daemon.health, logger, now, deletion: () => daemon.deletionStatus(), extra: () => daemon.linkStatusFields() });
        daemon.statusService = statusService;
        daemon.passes = new UploadPasses(store.meta, { pid: process.pid, oneShot: once, now });
        metrics.start();
        if (once) return daemon;
        await statusService.startEndpoint();
        dispatcher.wake();
        const cutScanShort = (): void => intake.close();
        if (o.signal?.aborted === true) cutScanShort(); // stopped while the store was opening
        o.signal?.addEventListener('abort', cutScanShort, { once: true });
        try {
          await intake.start();
        } finally {
          o.signal?.removeEventListener('abort', cutScanShort);
        }
      } catch (err) {
        // Everything is built: tear it all down (threads, sockets, store), not just the store.
        await daemon.close(0);
        throw err;
      }
      // Rows queued from now on are live files, not start-up backlog; a pass due (or missed
      // while the vehicle was off) may start.
      gate.startupComplete(now());
      dispatcher.wake();
      if (recovering && o.signal?.aborted !== true) {
        // The startup scan has re-discovered every file (unless a stop cut it short); from now
        // on new files are new.
        store.meta.delete(RECOVERY_PENDING_KEY);
        recovering = false;
      }
      daemon.clock = clock;
      daemon.startHousekeeping(now);
      daemon.startDeletion(o.deletionProbes ?? {});
      logger.info(
        { vehicleId: config.vehicleId, bucket: config.s3.bucket, directories: config.logDirectories.map((d) => d.path) },
        'tvm-upload running',
      );
      return daemon;
    } catch (err) {
      store.close(); // idempotent: the daemon may have closed it already
      throw err;
    }
  }

  /** The configuration in effect (a reload replaces it). */
  get currentConfig(): Config {
    return this.config;
  }

  /**
   * SIGHUP: apply a new, valid configuration live (config/reload-plan.ts decides what may change).
   * Never touches the queue or an upload in flight: rows stay as they are, jobs run on. Resolves
   * once added directories are watched and scanned.
   */
  async reload(next: Config): Promise<ReloadPlan> {
    const plan = planReload(this.config, next);
    if (this.closing) return plan;
    const before = this.config;
    const after = plan.config;
    this.config = after;
    this.gate.apply(after.upload, this.live.now());
    // max_mbps, the timetable and the link policy together decide the throttle's rate.
    await this.live.link.apply(after);
    this.live.retry = RetryPolicy.fromConfig(after.upload);
    for (const w of after.warnings) this.logger.warn(w);
    await this.statusService?.applyConfig(after);
    if (cloudWatchChanged(before, after)) {
      const old = this.metrics;
      const rebuild = (events: Pick<Telemetry, 'on'>): CloudWatchSink => this.live.buildMetrics(after, events, reloadAlarmOptions(before, after));
      this.metricsSwap = replaceCloudWatchSink(old, this.telemetry, rebuild, METRICS_FLUSH_MS, () => this.closing !== null).then((sink) => {
        this.metrics = sink;
      });
      await this.metricsSwap;
    }
    if (this.deletion !== null && deletionInputsChanged(before, after)) {
      // The policies read their config when built: rebuild them (a running pass finishes first).
      await this.deletion.close();
      if (!this.closing) this.startDeletion(this.deletionProbes);
    }
    this.dispatcher.wake();
    await this.intake.applyConfig(after);
    this.dispatcher.wake();
    return plan;
  }

  /**
   * Trigger an upload pass now: rescan every tree and drain the whole queue. Resolves when the
   * pass is over; its start and end are recorded for `upload-now` following it from outside.
   */
  async uploadNow(): Promise<void> {
    const seq = this.beginPass();
    this.retryWaiting();
    this.gate.triggerPass();
    await this.intake.scanAll('rescan', null);
    this.dispatcher.wake();
    await this.dispatcher.whenIdle();
    this.endPass(seq);
  }

  /**
   * The one-shot pass (mode `once`): scan every tree (max_age_days applies), upload everything
   * eligible, retry a failed file while its next attempt is due soon (ONE_SHOT_ATTEMPTS within
   * ONE_SHOT_RETRY_HORIZON_MS), then return. The caller reports from the store and closes.
   */
  async runOnce(): Promise<{ startedAt: number }> {
    const startedAt = Date.now();
    const seq = this.beginPass();
    this.retryWaiting();
    this.dispatcher.wake();
    await this.intake.scanExisting(true);
    const reader = StateReader.over(this.store.db, this.store.dbPath);
    for (;;) {
      this.dispatcher.wake();
      await this.dispatcher.whenIdle();
      if (this.closing) return { startedAt };
      const retryAt = reader.nextRetryAt(ONE_SHOT_ATTEMPTS);
      if (retryAt === null || retryAt - Date.now() > ONE_SHOT_RETRY_HORIZON_MS) break;
      await new Promise((r) => setTimeout(r, Math.max(0, retryAt - Date.now()) + 5));
    }
    this.endPass(seq);
    return { startedAt };
  }

  /** A pass asked for by hand tries files waiting for a retry (or parked for a day) now. */
  private retryWaiting(): void {
    try {
      const n = this.store.files.retryAllNow();
      if (n > 0) this.logger.info({ files: n }, 'upload pass: files waiting for a retry are tried now');
    } catch (err) {
      this.logger.warn({ err }, 'cannot make waiting files due now; they keep their retry time');
    }
  }

  /** Pass bookkeeping never stops a pass: a store that refuses the write shows in /healthz. */
  private beginPass(): number {
    try {
      return this.passes?.begin() ?? 0;
    } catch (err) {
      this.logger.warn({ err }, 'cannot record the start of the upload pass');
      return 0;
    }
  }

  private endPass(seq: number): void {
    try {
      this.passes?.finish(seq);
    } catch (err) {
      this.logger.warn({ err }, 'cannot record the end of the upload pass');
    }
  }

  /**
   * Runs the deletion policies now (SIGUSR2). False while no deletion policy is wired in to take
   * the request; the deletion module sets `onDeletionPass`.
   */
  requestDeletionPass(): boolean {
    if (this.onDeletionPass === null) return false;
    this.onDeletionPass();
    return true;
  }

  /** Hook for the deletion policies: what SIGUSR2 runs. */
  onDeletionPass: (() => void) | null = null;

  /** Resolves once nothing is queued-and-eligible or in flight. */
  whenIdle(): Promise<void> {
    return this.dispatcher.whenIdle();
  }

  /**
   * Runs every deletion policy now (age-based included, due or not) and resolves with what was
   * deleted; the integrator connects SIGUSR2 (`tvm-upload cleanup` with a daemon running) to it.
   */
  runDeletionPass(): Promise<PassReport> {
    if (this.deletion === null) return Promise.reject(new Error('the daemon is not running'));
    return this.deletion.runNow();
  }

  /** The deletion part of status: disk usage per filesystem, bytes deletable now, last pass. */
  deletionStatus(): Promise<DeletionStatus> {
    const dry = buildDeletion({
      config: this.config, db: this.store.db, dbPath: this.store.dbPath, enqueue: () => undefined,
      telemetry: this.telemetry, logger: this.logger, now: () => this.clock.now(), dryRun: true, ...this.deletionProbes,
    });
    return deletionStatus(dry.pass);
  }

  /** The status report (`status --json`, `/status`, the page). */
  statusReport(): Promise<StatusReport> {
    // Set before start() returns: a Daemon is only handed out started.
    return this.statusService!.report();
  }

  status(): DaemonStatus {
    const c = this.store.files.countByStatus();
    const base = { queued: c.queued, inFlight: c.inFlight, uploaded: c.uploaded, active: this.dispatcher.active };
    const cfg = this.config.upload;
    const withPriority = usesPriorities(this.config) ? { ...base, queueByPriority: queueByPriority(this.store.files.queuedByPriority()) } : base;
    return cfg.links === undefined && cfg.bandwidth.schedule === undefined ? withPriority : { ...withPriority, link: this.live.link.status() };
  }

  /** The link and priority figures /status adds to the status report (only when configured). */
  linkStatusFields(): Record<string, unknown> {
    const s = this.status();
    return { ...(s.queueByPriority ? { queueByPriority: s.queueByPriority } : {}), ...(s.link ? { link: s.link } : {}) };
  }

  /**
   * Graceful stop; in-flight uploads get `deadlineMs` (default upload.shutdown_deadline_seconds)
   * to finish, then are checkpointed. Idempotent.
   */
  close(deadlineMs = this.config.upload.shutdownDeadlineSeconds * 1000): Promise<void> {
    this.closing ??= (async () => {
      this.health.degrade('pipeline', 'the daemon is shutting down');
      for (const t of this.intervals) this.clock.clearInterval(t);
      for (const t of this.retries) this.clock.clearTimeout(t);
      this.intake.close();
      await this.deletion?.close();
      await this.statusService?.close();
      const aborted = await this.dispatcher.close(deadlineMs);
      if (aborted > 0) this.logger.warn({ files: aborted }, 'shutdown deadline reached; interrupted uploads resume on the next start');
      await this.metricsSwap.catch(() => undefined); // a failed swap was logged by the reload
      await this.metrics.flush(Math.min(deadlineMs, METRICS_FLUSH_MS));
      await this.metrics.close();
      await this.pool.close();
      this.s3.destroy();
      this.live.link.close(); // after the uploads: their last bytes are in the budget it saves
      this.store.close();
      this.logger.info('tvm-upload stopped');
    })();
    return this.closing;
  }

  private startDeletion(probes: DeletionProbes): void {
    this.deletionProbes = probes;
    const { repo, pass } = buildDeletion({
      config: this.config, db: this.store.db, dbPath: this.store.dbPath,
      enqueue: (input, at) => {
        if (this.store.files.enqueue(input, at) === 'queued') this.dispatcher.wake();
      },
      telemetry: this.telemetry, logger: this.logger, now: () => this.clock.now(), dryRun: false, ...probes,
    });
    this.deletion = new DeletionScheduler({
      pass, timers: this.clock, telemetry: this.telemetry, logger: this.logger,
      intervalMs: this.config.disk.checkIntervalSeconds * 1000,
      pruneAudit: (cutoff) => repo.pruneAudit(cutoff),
      health: this.health,
    });
    this.deletion.start();
    // SIGUSR2 (and `cleanup` with a daemon running) asks for a pass now.
    this.onDeletionPass = () => {
      this.runDeletionPass().then(
        (r) => this.logger.info({ deleted: r.deletedCount, bytes: r.deletedBytes }, 'deletion pass requested by signal finished'),
        (err: unknown) => this.logger.warn({ err }, 'deletion pass requested by signal failed'),
      );
    };
  }

  /**
   * Runs a housekeeping task so that a thrown error (a state store refusing writes) never escapes
   * a timer: Health says `housekeeping.<name>` is degraded, the task is tried again after a capped
   * backoff (besides its own period), and the first success clears it.
   */
  private guarded(name: string, task: () => void): () => void {
    let failures = 0;
    let pending = false;
    const run = (): void => {
      if (this.closing !== null) return;
      try {
        task();
        failures = 0;
        this.health.recover(`housekeeping.${name}`);
      } catch (err) {
        failures++;
        this.health.degrade(`housekeeping.${name}`, `${name} failed (${err instanceof Error ? err.message : String(err)})`);
        if (pending) return;
        pending = true;
        const t = this.clock.setTimeout(() => {
          this.retries.delete(t);
          pending = false;
          run();
        }, stateRetryDelayMs(failures));
        this.retries.add(t);
      }
    };
    return run;
  }

  /** Link gauges (CurrentLink, CellularBytesUsed): only while upload.links is configured. */
  emitLinkState(): void {
    const s = this.live.link.status();
    if (s.link === null) return;
    this.telemetry.emit({ type: 'link.state', link: s.link, cellularBytesUsed: s.budget?.usedBytes ?? 0 });
  }

  private startHousekeeping(now: () => number): void {
    const retentionMs = this.config.upload.processedFilesRegistry.retentionDays * 24 * HOUR;
    const prune = this.guarded('registry retention', (): void => {
      const removed = this.store.files.pruneUploaded(now() - retentionMs, now());
      const keys = this.store.keys.prune(now() - retentionMs);
      this.store.files.expireTombstones(now() - TOMBSTONE_RETENTION_MS);
      if (removed > 0 || keys > 0) this.logger.info({ removed, keys }, 'registry retention: forgot old uploaded files and object keys');
    });
    prune();
    const depth = this.guarded('queue depth', (): void => {
      const q = StateReader.over(this.store.db, this.store.dbPath).queue();
      const byPriority = usesPriorities(this.config) ? queueByPriority(this.store.files.queuedByPriority()) : undefined;
      this.telemetry.emit({
        type: 'queue.depth', queued: q.queued, inFlight: q.inFlight, oldestQueuedAt: q.oldestPendingAt, bytesPending: q.bytesPending,
        ...(byPriority === undefined ? {} : { byPriority }),
      });
      this.statusService?.checkHealth();
    });
    depth();
    this.emitLinkState();
    // Multipart uploads this daemon no longer tracks (file gone, progress lost with a rebuilt
    // database) would otherwise be billed forever: abort ours older than a week, daily.
    const abortStale = this.guarded('stale upload cleanup', (): void => {
      const tracked = new Set(this.store.multipart.listAll().map((p) => p.uploadId));
      void abortStaleUploads({
        client: this.s3,
        bucket: this.config.s3.bucket,
        prefix: `${this.config.vehicleId}/`,
        keep: (id) => tracked.has(id),
        now,
        logger: this.logger,
      }).catch((err: unknown) => this.logger.warn({ err }, 'could not list stale multipart uploads'));
    });
    abortStale();
    const sample = (): void => {
      depth();
      this.emitLinkState();
    };
    this.intervals.push(this.clock.setInterval(prune, HOUR), this.clock.setInterval(sample, 15_000), this.clock.setInterval(abortStale, 24 * HOUR));
  }
}

/** True when a reload changes what the deletion policies were built from. */
function deletionInputsChanged(a: Config, b: Config): boolean {
  const pick = (c: Config): string =>
    JSON.stringify([c.deletion, c.disk, c.logDirectories, c.upload.fileStableSeconds]);
  return pick(a) !== pick(b);
}
