/**
 * What a SIGHUP reload does with a newly loaded, valid configuration: which keys changed, which
 * of them apply live, and which need a restart. The result is the configuration the daemon runs
 * on from now on: the new file, except that every "needs a restart" key keeps its running value
 * (a new bucket or state_dir half-applied would be worse than none), so `tvm-upload status` and
 * the logs never claim a value that is not in effect.
 *
 * Pure: the daemon applies the live part (daemon.ts `reload`), the run command logs the plan.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Config, LogDirectory } from './types.js';
import { deepFreeze } from './freeze.js';

interface KeyRule {
  /** The YAML key path, as an operator writes it. */
  readonly key: string;
  readonly get: (c: Config) => unknown;
}

/**
 * Keys that cannot change under a running daemon: they shape its identity (object keys, the
 * state store) or objects built once at start (S3 client and connection pool, worker pool,
 * stability timers).
 */
export const RESTART_KEYS: readonly KeyRule[] = [
  { key: 'vehicle_id', get: (c) => c.vehicleId },
  { key: 'state_dir', get: (c) => c.stateDir },
  { key: 's3.bucket', get: (c) => c.s3.bucket },
  { key: 's3.region', get: (c) => c.s3.region },
  { key: 's3.endpoint', get: (c) => c.s3.endpoint },
  { key: 's3.profile', get: (c) => c.s3.profile },
  { key: 's3.force_path_style', get: (c) => c.s3.forcePathStyle },
  { key: 's3.storage_class', get: (c) => c.s3.storageClass },
  { key: 's3.server_side_encryption', get: (c) => c.s3.serverSideEncryption },
  { key: 's3.kms_key_id', get: (c) => c.s3.kmsKeyId },
  { key: 'upload.file_stable_seconds', get: (c) => c.upload.fileStableSeconds },
  { key: 'upload.concurrency', get: (c) => c.upload.concurrency },
  { key: 'upload.part_size_mb', get: (c) => c.upload.partSizeMb },
  { key: 'upload.part_concurrency', get: (c) => c.upload.partConcurrency },
  { key: 'upload.workers', get: (c) => c.upload.workers },
  { key: 'upload.compression', get: (c) => c.upload.compression },
  { key: 'upload.queue_file', get: (c) => c.upload.queueFile },
  { key: 'upload.processed_files_registry.registry_file', get: (c) => c.upload.processedFilesRegistry.registryFile },
];

/** Keys applied to the running daemon (or read at use by the component that owns them). */
export const LIVE_KEYS: readonly KeyRule[] = [
  { key: 'upload.schedule', get: (c) => c.upload.schedule },
  { key: 'upload.operational_hours', get: (c) => c.upload.operationalHours },
  { key: 'upload.batch_upload', get: (c) => c.upload.batchUpload },
  { key: 'upload.upload_on_start', get: (c) => c.upload.uploadOnStart },
  { key: 'upload.scan_existing_files', get: (c) => c.upload.scanExistingFiles },
  { key: 'upload.rescan_interval_seconds', get: (c) => c.upload.rescanIntervalSeconds },
  { key: 'upload.shutdown_deadline_seconds', get: (c) => c.upload.shutdownDeadlineSeconds },
  { key: 'upload.retry', get: (c) => c.upload.retry },
  { key: 'upload.bandwidth', get: (c) => c.upload.bandwidth },
  { key: 'upload.links', get: (c) => c.upload.links },
  { key: 'upload.stall_timeout_seconds', get: (c) => c.upload.stallTimeoutSeconds },
  { key: 'upload.markers', get: (c) => c.upload.markers },
  { key: 'upload.processed_files_registry.retention_days', get: (c) => c.upload.processedFilesRegistry.retentionDays },
  { key: 'deletion', get: (c) => c.deletion },
  { key: 'disk', get: (c) => c.disk },
  { key: 's3_lifecycle', get: (c) => c.s3Lifecycle },
  // The daemon rebuilds the CloudWatch sink and restarts the HTTP endpoint (Daemon.reload).
  { key: 'monitoring.cloudwatch_enabled', get: (c) => c.monitoring.cloudwatchEnabled },
  { key: 'monitoring.namespace', get: (c) => c.monitoring.namespace },
  { key: 'monitoring.publish_interval_seconds', get: (c) => c.monitoring.publishIntervalSeconds },
  { key: 'monitoring.http', get: (c) => c.monitoring.http },
  { key: 'monitoring.low_upload_threshold_mb', get: (c) => c.monitoring.alarms.lowUploadThresholdMb },
  { key: 'monitoring.alarm_evaluation_periods', get: (c) => c.monitoring.alarms.evaluationPeriods },
  { key: 'monitoring.upload_failures_alarm_threshold', get: (c) => c.monitoring.alarms.uploadFailuresThreshold },
  { key: 'monitoring.backlog_alarm_threshold_hours', get: (c) => c.monitoring.alarms.backlogThresholdHours },
];

export interface ReloadPlan {
  /** The configuration to run on: the new one with every restart key at its running value. */
  readonly config: Config;
  /** Live keys that changed and are now in effect; directory changes are listed separately. */
  readonly applied: readonly string[];
  readonly directories: { readonly added: readonly string[]; readonly removed: readonly string[]; readonly changed: readonly string[] };
  /** Keys whose new value is ignored until the daemon is restarted. */
  readonly needsRestart: readonly string[];
}

export function planReload(running: Config, next: Config): ReloadPlan {
  const changed = (rule: KeyRule): boolean => !isDeepStrictEqual(rule.get(running), rule.get(next));
  const config = deepFreeze<Config>({
    ...next,
    vehicleId: running.vehicleId,
    stateDir: running.stateDir,
    s3: running.s3,
    upload: {
      ...next.upload,
      fileStableSeconds: running.upload.fileStableSeconds,
      concurrency: running.upload.concurrency,
      partSizeMb: running.upload.partSizeMb,
      partConcurrency: running.upload.partConcurrency,
      workers: running.upload.workers,
      compression: running.upload.compression,
      queueFile: running.upload.queueFile,
      processedFilesRegistry: { ...next.upload.processedFilesRegistry, registryFile: running.upload.processedFilesRegistry.registryFile },
    },
  });
  return {
    config,
    applied: LIVE_KEYS.filter(changed).map((r) => r.key),
    directories: directoryChanges(running.logDirectories, next.logDirectories),
    needsRestart: RESTART_KEYS.filter(changed).map((r) => r.key),
  };
}

/** True when the plan changes nothing at all (the file was saved again unchanged). */
export function isEmptyPlan(p: ReloadPlan): boolean {
  const d = p.directories;
  return p.applied.length + p.needsRestart.length + d.added.length + d.removed.length + d.changed.length === 0;
}

function directoryChanges(before: readonly LogDirectory[], after: readonly LogDirectory[]): ReloadPlan['directories'] {
  const old = new Map(before.map((d) => [d.path, d]));
  const now = new Map(after.map((d) => [d.path, d]));
  return {
    added: after.filter((d) => !old.has(d.path)).map((d) => d.path),
    removed: before.filter((d) => !now.has(d.path)).map((d) => d.path),
    changed: after.filter((d) => old.has(d.path) && !isDeepStrictEqual(old.get(d.path), d)).map((d) => d.path),
  };
}
