/**
 * The composition root: builds the daemon's components in dependency order and tears them down
 * in reverse, from the source: stop watching → finish or checkpoint in-flight uploads → close the
 * worker pool → close the state store. No logic of its own beyond wiring and lifecycle.
 *
 *   Intake (watch, scan, stabilize) ─► FileRepo (SQLite queue) ─► Dispatcher ─► upload job
 *                                                                    │  compress (piscina)
 *                                                                    └► upload (S3Uploader)
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config/types.js';
import type { Logger } from './telemetry/logger.js';
import { Telemetry, type QueueByPriority } from './telemetry/events.js';
import { startHttpEndpoint, type HttpEndpoint } from './telemetry/http.js';
import { openStateStore, RECOVERY_PENDING_KEY, type StateStore } from './state/store.js';
import { importLegacy } from './state/legacy-import.js';
import { CompressPool } from './workers/pool.js';
import { createS3Client } from './sinks/s3/client.js';
import { S3Uploader } from './sinks/s3/uploader.js';
import { buildObjectKey } from './sinks/s3/object-key.js';
import { buildObjectMetadata, contentTypeFor } from './sinks/s3/metadata.js';
import { RetryPolicy, OperatorAlerts, classify } from './sinks/retry.js';
import { Throttle } from './sinks/throttle.js';
import { abortStaleUploads } from './sinks/s3/abort-stale.js';
import { CloudWatchSink } from './sinks/cloudwatch/sink.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { UploadGate } from './schedule/upload-gate.js';
import { metaPassLog } from './schedule/passes.js';
import { Dispatcher, type Timers, realTimers } from './pipeline/dispatcher.js';
import { Intake } from './pipeline/intake.js';
import { createUploadJob } from './pipeline/upload-job.js';
import type { WatcherBackend } from './pipeline/watch-source.js';
import { realStatProbe } from './pipeline/stat-probe.js';
import type { FileRecord } from './state/types.js';
import { planReload, type ReloadPlan } from './config/reload-plan.js';
import { LinkController, type LinkStatus } from './link/link-controller.js';
import { TransferWatch } from './sinks/transfer-watch.js';
import { MarkerBook } from './priority/marker-book.js';
import { queueByPriority, usesPriorities } from './priority/queue-stats.js';

export interface DaemonOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly timers?: Timers;
  readonly watcher?: WatcherBackend;
  /** Telemetry to emit into (so listeners can attach before start-up uploads begin). */
  readonly telemetry?: Telemetry;
  /** Explicit S3 credentials (tests); default: the AWS credential chain. */
  readonly s3Credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Aborted when a stop is requested during start-up: the start-up scan is cut short. */
  readonly signal?: AbortSignal;
}

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

/** The components a reload changes in place (the rest read `Daemon.config` at use). */
interface LiveParts {
  readonly throttle: Throttle;
  readonly link: LinkController;
  retry: RetryPolicy;
  readonly now: () => number;
}

export class Daemon {
  readonly telemetry: Telemetry;
  private closing: Promise<void> | null = null;
  private readonly intervals: NodeJS.Timeout[] = [];
  private http: HttpEndpoint | null = null;

  private constructor(
    private config: Config,
    private readonly logger: Logger,
    readonly store: StateStore,
    private readonly pool: CompressPool,
    private readonly dispatcher: Dispatcher,
    private readonly intake: Intake,
    private readonly gate: UploadGate,
    telemetry: Telemetry,
    private readonly metrics: CloudWatchSink,
    private readonly s3: S3Client,
    private readonly live: LiveParts,
  ) {
    this.telemetry = telemetry;
  }

  static async start(o: DaemonOptions): Promise<Daemon> {
    const { config, logger } = o;
    const timers = o.timers ?? realTimers;
    const now = (): number => timers.now();
    const startedAt = now();
    const telemetry = o.telemetry ?? new Telemetry(logger);
    for (const w of config.warnings) logger.warn(w);
    // Honest about what this version does not do yet, rather than silently ignoring the keys.
    const del = config.deletion;
    if (del.afterUpload.enabled || del.ageBased.enabled || del.emergency.enabled) {
      logger.warn('deletion policies (deletion.after_upload, age_based, emergency) are not active in this version: no local file is deleted; watch disk usage');
    }


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
      if (!legacy.alreadyDone && (legacy.imported.queued > 0 || legacy.imported.uploaded > 0)) {
        logger.info({ ...legacy.imported }, 'imported the Python daemon\'s queue and registry');
      }
      let recovering = store.meta.get(RECOVERY_PENDING_KEY) !== null;
      const reset = store.files.resetInFlight();
      if (reset > 0) logger.info({ files: reset }, 'resuming uploads interrupted by the last shutdown');
      // The spool is a cache (compression is deterministic): start from an empty one, which also
      // removes .partial files left by a crash mid-compression.
      const spoolDir = join(config.stateDir, 'spool');
      await rm(spoolDir, { recursive: true, force: true });
      await mkdir(spoolDir, { recursive: true, mode: 0o750 });

      const { client } = createS3Client(config.s3, o.env ?? process.env, {
        maxSockets: config.upload.concurrency * config.upload.partConcurrency + 1,
        logger,
        ...(o.s3Credentials ? { credentials: o.s3Credentials } : {}),
      });
      const partSize = config.upload.partSizeMb * 1024 * 1024;
      const throttle = new Throttle({ bytesPerSecond: config.upload.bandwidth.maxBytesPerSecond });
      const uploader = new S3Uploader({
        client,
        bucket: config.s3.bucket,
        s3: config.s3,
        partSize,
        partConcurrency: config.upload.partConcurrency,
        throttle,
        multipart: store.multipart,
        logger,
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
        timers,
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
        timers,
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
      const live: LiveParts = { throttle, link, retry: RetryPolicy.fromConfig(config.upload), now };
      const alerts = new OperatorAlerts(logger);
      const gate = new UploadGate(config.upload, startedAt, { passLog: metaPassLog(store.meta), startupPending: true });

      const job = createUploadJob({
        files: store.files,
        compress: (j, signal) => pool.run(j, signal),
        upload: (req) =>
          uploader.upload({
            fileId: req.record.id,
            key: req.key,
            result: req.result,
            metadata: markers.withMarker(buildObjectMetadata({ vehicleId: config.vehicleId, path: req.record.path, result: req.result }), req.record.mtimeMs),
            contentType: contentTypeFor(req.key),
            verifyRemote: req.verifyRemote,
            signal: req.signal,
          }),
        objectKey: (rec: FileRecord, codec) =>
          buildObjectKey({ vehicleId: config.vehicleId, source: rec.source, relPath: rec.relPath, mtimeMs: rec.mtimeMs, codec }),
        classify,
        retryDelayMs: (attempts, err) => live.retry.nextDelayMs(attempts, err),
        alerts,
        telemetry,
        stat: realStatProbe,
        now,
        spoolDir,
        compression: config.upload.compression,
        partSize,
        stableMs: config.upload.fileStableSeconds * 1000,
      });

      const dispatcher = new Dispatcher({
        queue: store.files,
        gate,
        concurrency: config.upload.concurrency,
        job,
        timers,
        onError: (err, rec) => logger.error({ err, path: rec.path }, 'internal error while processing a file'),
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
        now,
        ...(o.watcher ? { watcher: o.watcher } : {}),
      });
      const metrics = new CloudWatchSink({ telemetry, outbox: store.outbox, config, logger, ...(o.env ? { env: o.env } : {}), timers });
      const daemon = new Daemon(config, logger, store, pool, dispatcher, intake, gate, telemetry, metrics, client, live);
      daemonRef = daemon;
      try {
        await link.start();
        metrics.start();
        if (config.monitoring.http.enabled) {
          daemon.http = await startHttpEndpoint(config.monitoring.http.listen, telemetry.registry, { status: () => ({ ...daemon.status() }) });
          logger.info({ url: daemon.http.url }, 'status endpoint listening (/metrics, /healthz, /status)');
        }
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
      daemon.startHousekeeping(now);
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
    const after = plan.config;
    this.config = after;
    this.gate.apply(after.upload, this.live.now());
    // max_mbps, the timetable and the link policy together decide the throttle's rate.
    await this.live.link.apply(after);
    this.live.retry = RetryPolicy.fromConfig(after.upload);
    for (const w of after.warnings) this.logger.warn(w);
    this.dispatcher.wake();
    await this.intake.applyConfig(after);
    this.dispatcher.wake();
    return plan;
  }

  /** Trigger an upload pass now: rescan every tree and drain the whole queue. */
  async uploadNow(): Promise<void> {
    this.gate.triggerPass();
    await this.intake.scanAll('rescan', null);
    this.dispatcher.wake();
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

  status(): DaemonStatus {
    const c = this.store.files.countByStatus();
    const base = { queued: c.queued, inFlight: c.inFlight, uploaded: c.uploaded, active: this.dispatcher.active };
    const cfg = this.config.upload;
    const withPriority = usesPriorities(this.config) ? { ...base, queueByPriority: queueByPriority(this.store.files.queuedByPriority()) } : base;
    return cfg.links === undefined && cfg.bandwidth.schedule === undefined ? withPriority : { ...withPriority, link: this.live.link.status() };
  }

  /**
   * Graceful stop; in-flight uploads get `deadlineMs` (default upload.shutdown_deadline_seconds)
   * to finish, then are checkpointed. Idempotent.
   */
  close(deadlineMs = this.config.upload.shutdownDeadlineSeconds * 1000): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.intervals) clearInterval(t);
      this.intake.close();
      await this.http?.close();
      const aborted = await this.dispatcher.close(deadlineMs);
      if (aborted > 0) this.logger.warn({ files: aborted }, 'shutdown deadline reached; interrupted uploads resume on the next start');
      await this.metrics.flush(Math.min(deadlineMs, 5000));
      await this.metrics.close();
      await this.pool.close();
      this.s3.destroy();
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

  private startHousekeeping(now: () => number): void {
    const retentionMs = this.config.upload.processedFilesRegistry.retentionDays * 24 * HOUR;
    const prune = (): void => {
      const removed = this.store.files.pruneUploaded(now() - retentionMs);
      if (removed > 0) this.logger.info({ removed }, 'registry retention: forgot old uploaded files');
    };
    prune();
    const depth = (): void => {
      const c = this.store.files.countByStatus();
      const byPriority = usesPriorities(this.config) ? queueByPriority(this.store.files.queuedByPriority()) : undefined;
      this.telemetry.emit({
        type: 'queue.depth', queued: c.queued, inFlight: c.inFlight, oldestQueuedAt: this.store.files.oldestQueuedAt(),
        ...(byPriority === undefined ? {} : { byPriority }),
      });
    };
    depth();
    this.emitLinkState();
    // Multipart uploads this daemon no longer tracks (file gone, progress lost with a rebuilt
    // database) would otherwise be billed forever: abort ours older than a week, daily.
    const abortStale = (): void => {
      const tracked = new Set(this.store.multipart.listAll().map((p) => p.uploadId));
      void abortStaleUploads({
        client: this.s3,
        bucket: this.config.s3.bucket,
        prefix: `${this.config.vehicleId}/`,
        keep: (id) => tracked.has(id),
        now,
        logger: this.logger,
      }).catch((err: unknown) => this.logger.warn({ err }, 'could not list stale multipart uploads'));
    };
    abortStale();
    const sample = (): void => {
      depth();
      this.emitLinkState();
    };
    this.intervals.push(setInterval(prune, HOUR).unref(), setInterval(sample, 15_000).unref(), setInterval(abortStale, 24 * HOUR).unref());
  }
}
