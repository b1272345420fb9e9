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
import { Telemetry } from './telemetry/events.js';
import { Health } from './telemetry/health.js';
import { reportHealth } from './telemetry/health-report.js';
import { setGuardLogger } from './process-guards.js';
import { startHttpEndpoint, type HttpEndpoint } from './telemetry/http.js';
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
import { CloudWatchSink } from './sinks/cloudwatch/sink.js';
import type { S3Client } from '@aws-sdk/client-s3';
import { UploadGate } from './schedule/upload-gate.js';
import { Dispatcher, type Timers, realTimers, stateRetryDelayMs } from './pipeline/dispatcher.js';
import { Intake } from './pipeline/intake.js';
import { createUploadJob } from './pipeline/upload-job.js';
import type { WatcherBackend } from './pipeline/watch-source.js';
import { lstatSource } from './pipeline/stat-probe.js';
import type { FileRecord } from './state/types.js';

export interface DaemonOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly timers?: Timers;
  readonly watcher?: WatcherBackend;
  /** Telemetry to emit into (so listeners can attach before start-up uploads begin). */
  readonly telemetry?: Telemetry;
  /** How the spool's free space is measured (tests inject a full disk); default: statfs. */
  readonly spoolUsage?: (path: string) => Promise<DiskUsage>;
  /** Explicit S3 credentials (tests); default: the AWS credential chain. */
  readonly s3Credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface DaemonStatus {
  readonly queued: number;
  readonly inFlight: number;
  readonly uploaded: number;
  readonly active: number;
}

const HOUR = 3_600_000;

export class Daemon {
  readonly telemetry: Telemetry;
  /** Why the daemon is degraded, if it is (logged, /metrics, /healthz 503). */
  readonly health: Health;
  private closing: Promise<void> | null = null;
  private readonly intervals: NodeJS.Timeout[] = [];
  /** Pending retries of failed housekeeping tasks (at most one per task). */
  private readonly retries = new Set<NodeJS.Timeout>();
  private http: HttpEndpoint | null = null;

  private constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    readonly store: StateStore,
    private readonly pool: CompressPool,
    private readonly dispatcher: Dispatcher,
    private readonly intake: Intake,
    private readonly gate: UploadGate,
    telemetry: Telemetry,
    private readonly metrics: CloudWatchSink,
    private readonly s3: S3Client,
    health: Health,
  ) {
    this.telemetry = telemetry;
    this.health = health;
  }

  static async start(o: DaemonOptions): Promise<Daemon> {
    const { config, logger } = o;
    const timers = o.timers ?? realTimers;
    const now = (): number => timers.now();
    const startedAt = now();
    const telemetry = o.telemetry ?? new Telemetry(logger);
    setGuardLogger(logger);
    const health = new Health(now);
    const stopHealthReport = reportHealth(health, logger, telemetry.registry);
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
        conditionalWrites: config.s3.conditionalWrites,
      });
      // The dispatcher never has more than `concurrency` jobs out, so a pool that holds that many
      // (running + queued) never refuses one; the pool's own bound stays a second fence.
      const pool = new CompressPool({ threads: config.upload.workers, maxQueue: Math.max(config.upload.concurrency, config.upload.workers), logger });
      const retry = RetryPolicy.fromConfig(config.upload);
      const alerts = new OperatorAlerts(logger);
      const gate = new UploadGate(config.upload, startedAt);

      const job = createUploadJob({
        files: store.files,
        keys: store.keys,
        compress: (j, signal) => pool.run(j, signal),
        upload: (req) =>
          uploader.upload({
            fileId: req.record.id,
            key: req.key,
            result: req.result,
            metadata: buildObjectMetadata({ vehicleId: config.vehicleId, path: req.record.path, result: req.result }),
            contentType: contentTypeFor(req.key),
            verifyRemote: req.verifyRemote,
            replaces: req.replaces,
            signal: req.signal,
            encoding: { level: req.result.codec === 'none' ? 0 : config.upload.compression.level, version: codecVersion(req.result.codec) },
          }),
        objectKey: (rec: FileRecord, codec) =>
          buildObjectKey({ vehicleId: config.vehicleId, source: rec.source, relPath: rec.relPath, mtimeMs: rec.mtimeMs, codec }),
        classify,
        retryDelayMs: (attempts, err) => retry.nextDelayMs(attempts, err),
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
        startedAt,
        timers,
        onError: (err, rec) => logger.error({ err, path: rec.path }, 'internal error while processing a file'),
        health,
      });
      const intake = new Intake({
        config,
        files: store.files,
        telemetry,
        logger,
        onQueued: () => dispatcher.wake(),
        verifyRemote: () => recovering,
        now,
        health,
        ...(o.watcher ? { watcher: o.watcher } : {}),
      });
      const metrics = new CloudWatchSink({ telemetry, outbox: store.outbox, config, logger, ...(o.env ? { env: o.env } : {}), timers });
      const daemon = new Daemon(config, logger, store, pool, dispatcher, intake, gate, telemetry, metrics, client, health);
      try {
        metrics.start();
        if (config.monitoring.http.enabled) {
          daemon.http = await startHttpEndpoint(config.monitoring.http.listen, telemetry.registry, { status: () => ({ ...daemon.status() }), health });
          logger.info({ url: daemon.http.url }, 'status endpoint listening (/metrics, /healthz, /status)');
        }
        dispatcher.wake();
        await intake.start();
      } catch (err) {
        // Everything is built: tear it all down (threads, sockets, store), not just the store.
        await daemon.close(0);
        throw err;
      }
      if (recovering) {
        // The startup scan has re-discovered every file; from now on new files are new.
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
      stopHealthReport();
      store.close(); // idempotent: the daemon may have closed it already
      throw err;
    }
  }

  /** Trigger an upload pass now: rescan every tree and drain the whole queue. */
  async uploadNow(): Promise<void> {
    this.gate.triggerPass();
    await this.intake.scanAll('rescan', null);
    this.dispatcher.wake();
  }

  /** Resolves once nothing is queued-and-eligible or in flight. */
  whenIdle(): Promise<void> {
    return this.dispatcher.whenIdle();
  }

  status(): DaemonStatus {
    const c = this.store.files.countByStatus();
    return { queued: c.queued, inFlight: c.inFlight, uploaded: c.uploaded, active: this.dispatcher.active };
  }

  /** Graceful stop; in-flight uploads get `deadlineMs` to finish, then are checkpointed. Idempotent. */
  close(deadlineMs = 20_000): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.intervals) clearInterval(t);
      for (const t of this.retries) clearTimeout(t);
      this.intake.close();
      await this.http?.close();
      const aborted = await this.dispatcher.close(deadlineMs);
      if (aborted > 0) this.logger.warn({ files: aborted }, 'shutdown deadline reached; interrupted uploads resume on the next start');
      await this.metrics.flush(Math.min(deadlineMs, 5000));
      await this.metrics.close();
      await this.pool.close();
      this.s3.destroy();
      this.store.close();
      this.logger.info('tvm-upload stopped');
    })();
    return this.closing;
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
        const t = setTimeout(() => {
          this.retries.delete(t);
          pending = false;
          run();
        }, stateRetryDelayMs(failures)).unref();
        this.retries.add(t);
      }
    };
    return run;
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
      const c = this.store.files.countByStatus();
      this.telemetry.emit({ type: 'queue.depth', queued: c.queued, inFlight: c.inFlight, oldestQueuedAt: this.store.files.oldestQueuedAt() });
    });
    depth();
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
    this.intervals.push(setInterval(prune, HOUR).unref(), setInterval(depth, 15_000).unref(), setInterval(abortStale, 24 * HOUR).unref());
  }
}
