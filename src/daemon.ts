/**
 * The composition root: builds the daemon's components in dependency order and tears them down
 * in reverse, from the source: stop watching → finish or checkpoint in-flight uploads → close the
 * worker pool → close the state store. No logic of its own beyond wiring and lifecycle.
 *
 *   Intake (watch, scan, stabilize) ─► FileRepo (SQLite queue) ─► Dispatcher ─► upload job
 *                                                                    │  compress (piscina)
 *                                                                    └► upload (S3Sink)
 *
 * Periodic chores (registry retention, queue gauge, stale multipart aborts) are housekeeping.ts.
 */
import { join } from 'node:path';
import type { Config } from './config/types.js';
import type { Logger } from './telemetry/logger.js';
import { Telemetry } from './telemetry/events.js';
import { setGuardLogger } from './process-guards.js';
import { openStateStore, RECOVERY_PENDING_KEY, type StateStore } from './state/store.js';
import { resumeState } from './state/resume.js';
import { CompressPool } from './workers/pool.js';
import { prepareSpool } from './workers/spool-dir.js';
import { SpoolBudget } from './workers/spool-budget.js';
import { S3Sink } from './sinks/s3/sink.js';
import { RetryPolicy, OperatorAlerts } from './sinks/retry.js';
import { classify } from './sinks/s3/classify.js';
import { Throttle } from './sinks/throttle.js';
import { CloudWatchSink, type SinkAlarmOptions } from './sinks/cloudwatch/sink.js';
import { cloudWatchChanged, reloadAlarmOptions, replaceCloudWatchSink } from './sinks/cloudwatch/replace.js';
import { UploadGate } from './schedule/upload-gate.js';
import { metaPassLog } from './schedule/passes.js';
import { Dispatcher } from './pipeline/dispatcher.js';
import { realClock, type Clock } from './clock/clock.js';
import { Housekeeping } from './housekeeping.js';
import { Intake } from './pipeline/intake.js';
import { createUploadJob, IN_MEMORY_MAX_BYTES } from './pipeline/upload-job.js';
import { jobCompression } from './pipeline/job-compression.js';
import { lstatSource } from './pipeline/stat-probe.js';
import { planReload, type ReloadPlan } from './config/reload-plan.js';
import { DeletionService } from './deletion/service.js';
import { PassRunner } from './pipeline/pass-runner.js';
import type { DaemonOptions, DaemonStatus } from './daemon-options.js';
import type { PassReport } from './deletion/pass.js';
import type { DeletionStatus } from './deletion/status.js';
import { Health } from './telemetry/health.js';
import type { StatusReport } from './telemetry/status-report.js';
import { StatusService } from './telemetry/status-service.js';
import { StateReader } from './state/state-reader.js';
import { UploadPasses } from './telemetry/upload-pass.js';
import { LinkController } from './link/link-controller.js';
import { liveLinkStatusFields, type LinkStatusFields } from './link/status-fields.js';
import { TransferWatch } from './sinks/transfer-watch.js';
import { MarkerBook } from './priority/marker-book.js';
import { queueByPriority, usesPriorities } from './priority/queue-stats.js';

const HOUR = 3_600_000;
/** How long the CloudWatch sink may spend sending its backlog at shutdown or before a reload replaces it. */
const METRICS_FLUSH_MS = 5_000;

export type { DaemonOptions, DaemonStatus } from './daemon-options.js';

/** The components a reload changes in place (the rest read `Daemon.config` at use), and the daemon's helpers. */
interface LiveParts {
  readonly throttle: Throttle;
  readonly link: LinkController;
  retry: RetryPolicy;
  readonly clock: Clock;
  readonly now: () => number;
  readonly passes: PassRunner;
  readonly deletion: DeletionService;
  /** A CloudWatch sink for `config` (at start, and again when a reload changes monitoring.*). */
  readonly buildMetrics: (config: Config, telemetry: Pick<Telemetry, 'on'>, alarms?: SinkAlarmOptions) => CloudWatchSink;
}

export class Daemon {
  readonly telemetry: Telemetry;
  /** Why the daemon is degraded, if it is (logged, /metrics, /healthz 503). */
  readonly health: Health;
  private statusService: StatusService | null = null;
  private passRecords: UploadPasses | null = null;
  private closing: Promise<void> | null = null;
  private housekeeping: Housekeeping | null = null;
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
    private readonly s3: S3Sink,
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
      const resumed = resumeState(store, config, logger, startedAt);
      let recovering = resumed.recovering;
      const retentionMs = config.upload.processedFilesRegistry.retentionDays * 24 * HOUR;
      // The spool is a cache (compression is deterministic): start from an empty one, which also
      // removes .partial files left by a crash mid-compression. Only our own files are removed.
      const spoolDir = join(config.stateDir, 'spool');
      const foreign = await prepareSpool(spoolDir);
      if (foreign.length > 0) logger.warn({ dir: spoolDir, files: foreign.slice(0, 20), count: foreign.length }, 'spool holds files tvm-upload did not write; left in place');

      const throttle = new Throttle({ bytesPerSecond: config.upload.bandwidth.maxBytesPerSecond, clock });
      const markers = new MarkerBook(store.db, store.meta, now);
      const s3 = new S3Sink({
        config, env: o.env ?? process.env, logger, throttle, multipart: store.multipart, now,
        decorate: (metadata, mtimeMs) => markers.withMarker(metadata, mtimeMs),
        ...(o.s3Credentials ? { credentials: o.s3Credentials } : {}),
      });
      // The dispatcher never has more than `concurrency` jobs out, so a pool that holds that many
      // (running + queued) never refuses one; the pool's own bound stays a second fence.
      const pool = new CompressPool({ threads: config.upload.workers, maxQueue: Math.max(config.upload.concurrency, config.upload.workers), logger });
      let daemonRef: Daemon | null = null;
      const link = new LinkController({
        config, budgetStore: store.meta, throttle, logger, timers: clock,
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
      const alerts = new OperatorAlerts(logger);
      // The one-shot ignores schedule and operational hours: a start-up drain that never ends
      // (startupComplete is a daemon-mode step) keeps its gate open for the whole pass.
      const gate = once
        ? new UploadGate({ ...config.upload, operationalHours: { enabled: false, start: 0, end: 0 }, uploadOnStart: true }, startedAt, { startupPending: true })
        : new UploadGate(config.upload, startedAt, { passLog: metaPassLog(store.meta), startupPending: true });

      const job = createUploadJob({
        files: store.files, keys: store.keys, alerts, telemetry, stat: lstatSource, now, spoolDir, classify,
        compress: (j, signal) => pool.run(j, signal),
        upload: (req) => s3.upload(req),
        objectKey: (rec, codec) => s3.objectKey(rec, codec),
        retry: { decide: (failure) => live.retry.decide(failure) }, // a reload replaces live.retry
        compression: config.upload.compression,
        ...jobCompression({ upload: config.upload, throttle, progress: (id) => store.multipart.get(id), logger }),
        partSize: s3.partSize,
        keysKnownSince: () => Math.max(now() - retentionMs, resumed.rebuiltAt),
        spool: new SpoolBudget({ dir: spoolDir, reserveBytes: config.disk.reservedGb * 1024 ** 3, health, ...(o.spoolUsage ? { usage: o.spoolUsage } : {}) }),
        memoryMaxBytes: IN_MEMORY_MAX_BYTES,
      });

      const dispatcher = new Dispatcher({
        queue: store.files, gate, concurrency: config.upload.concurrency, job, timers: clock, health, admit: () => link.admit(),
        onError: (err, rec) => logger.error({ err, path: rec.path }, 'internal error while processing a file'),
      });
      const intake = new Intake({
        config, files: store.files, telemetry, logger, clock, health,
        onQueued: () => dispatcher.wake(),
        marked: (mtimeMs) => markers.marked(mtimeMs),
        verifyRemote: () => recovering,
        ...(o.watcher ? { watcher: o.watcher } : {}),
        ...(o.onRecent ? { onRecent: o.onRecent } : {}),
      });
      const passes = new PassRunner({
        files: store.files, gate, intake, dispatcher, logger,
        reader: () => StateReader.over(store.db, store.dbPath),
        passes: () => daemonRef?.passRecords ?? null,
        closing: () => daemonRef?.closing != null,
      });
      const deletion = new DeletionService({
        db: store.db, dbPath: store.dbPath, telemetry, logger, clock, health, probes: o.deletionProbes ?? {},
        enqueue: (input, at) => {
          if (store.files.enqueue(input, at) === 'queued') dispatcher.wake();
        },
      });
      const live: LiveParts = { throttle, link, retry: RetryPolicy.fromConfig(config.upload, undefined, classify), clock, now, passes, deletion, buildMetrics };
      const metrics = buildMetrics(config, telemetry);
      const daemon = new Daemon(config, logger, store, pool, dispatcher, intake, gate, telemetry, metrics, s3, live, health);
      daemonRef = daemon;
      try {
        await link.start();
        const statusService = new StatusService({ config, store, telemetry, health: daemon.health, logger, now, deletion: () => daemon.deletionStatus(), extra: () => daemon.linkStatusFields() });
        daemon.statusService = statusService;
        daemon.passRecords = new UploadPasses(store.meta, { pid: process.pid, oneShot: once, now });
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
      daemon.startHousekeeping();
      deletion.start(config);
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
    this.live.retry = RetryPolicy.fromConfig(after.upload, undefined, classify);
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
    await this.live.deletion.apply(before, after);
    this.dispatcher.wake();
    await this.intake.applyConfig(after);
    this.dispatcher.wake();
    return plan;
  }

  /**
   * Trigger an upload pass now: rescan every tree and drain the whole queue. Resolves when the
   * pass is over; its start and end are recorded for `upload-now` following it from outside.
   */
  uploadNow(): Promise<void> {
    return this.live.passes.uploadNow();
  }

  /** The one-shot pass (mode `once`, pipeline/pass-runner.ts). The caller reports from the store and closes. */
  runOnce(): Promise<{ startedAt: number }> {
    return this.live.passes.runOnce();
  }

  /** Runs the deletion policies now (SIGUSR2), logging the outcome. False before they run. */
  requestDeletionPass(): boolean {
    return this.live.deletion.request();
  }

  /** Resolves once nothing is queued-and-eligible or in flight. */
  whenIdle(): Promise<void> {
    return this.dispatcher.whenIdle();
  }

  /**
   * Runs every deletion policy now (age-based included, due or not) and resolves with what was
   * deleted; the integrator connects SIGUSR2 (`tvm-upload cleanup` with a daemon running) to it.
   */
  runDeletionPass(): Promise<PassReport> {
    return this.live.deletion.runNow();
  }

  /** The deletion part of status: disk usage per filesystem, bytes deletable now, last pass. */
  deletionStatus(): Promise<DeletionStatus> {
    return this.live.deletion.status(this.config);
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

  /** The link, budget, bandwidth and priority figures /status adds to the status report (the same shape `status` reads from the store). */
  linkStatusFields(): LinkStatusFields {
    const queue = usesPriorities(this.config) ? queueByPriority(this.store.files.queuedByPriority()) : null;
    return liveLinkStatusFields(this.live.link.status(), queue, this.live.now());
  }

  /**
   * Graceful stop; in-flight uploads get `deadlineMs` (default upload.shutdown_deadline_seconds)
   * to finish, then are checkpointed. Idempotent.
   */
  close(deadlineMs = this.config.upload.shutdownDeadlineSeconds * 1000): Promise<void> {
    this.closing ??= (async () => {
      this.health.degrade('pipeline', 'the daemon is shutting down');
      this.housekeeping?.close();
      this.intake.close();
      await this.live.deletion.close();
      await this.statusService?.close();
      const aborted = await this.dispatcher.close(deadlineMs);
      if (aborted > 0) this.logger.warn({ files: aborted }, 'shutdown deadline reached; interrupted uploads resume on the next start');
      await this.metricsSwap.catch(() => undefined); // a failed swap was logged by the reload
      await this.metrics.flush(Math.min(deadlineMs, METRICS_FLUSH_MS));
      await this.metrics.close();
      await this.pool.close();
      this.s3.close();
      this.live.link.close(); // after the uploads: their last bytes are in the budget it saves
      this.store.close();
      this.logger.info('tvm-upload stopped');
    })();
    return this.closing;
  }

  /** Link gauges (CurrentLink, CellularBytesUsed): only while upload.links is configured. */
  emitLinkState(): void {
    const s = this.live.link.status();
    if (s.link === null) return;
    this.telemetry.emit({ type: 'link.state', link: s.link, cellularBytesUsed: s.budget?.usedBytes ?? 0 });
  }

  private startHousekeeping(): void {
    this.housekeeping = new Housekeeping({
      clock: this.live.clock, health: this.health, logger: this.logger, telemetry: this.telemetry, store: this.store,
      config: () => this.config,
      abortStale: () => this.s3.abortStale(),
      afterQueueDepth: () => this.statusService?.checkHealth(),
      afterSample: () => this.emitLinkState(),
    });
    this.housekeeping.start();
  }
}
