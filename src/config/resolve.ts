/**
 * Maps validated, defaulted raw configuration (snake_case, schema.ts) onto the Config type
 * (camelCase, types.ts): fills defaults that depend on other keys (source guesses, path-style
 * addressing, compression level per codec, workers per CPU, bandwidth in bytes) and collects
 * the warnings for keys that are accepted for compatibility but do nothing. No validation here:
 * everything it reads has passed the schema.
 */
import type { Config, LinkPolicy, LinksConfig, LogDirectory } from './types.js';
import { guessSource } from './directories.js';
import { isLoopbackHost, parseListen } from './s3-names.js';
import type { RawConfig } from './schema.js';
import { CODEC_LEVELS, DEFAULT_MAX_LEVEL, DEFAULT_SKIP_EXTENSIONS } from './schema-upload.js';

export interface ResolveContext {
  readonly cpuCount: number;
  readonly sourceFile: string | null;
}

const MAX_WORKERS = 64;

function ignored(key: string, why: string): string {
  return `${key} is accepted for compatibility but ignored: ${why}`;
}

function compatibilityWarnings(raw: RawConfig): string[] {
  const w: string[] = [];
  if (raw.retry !== undefined) w.push(ignored('retry', 'the reference never read it; use upload.retry.max_attempts'));
  if (raw.s3.credentials_path !== undefined) {
    w.push(ignored('s3.credentials_path', 'credentials come from the AWS SDK chain (environment, shared files selected by s3.profile or AWS_SHARED_CREDENTIALS_FILE, instance role)'));
  }
  if (raw.upload.batch_upload.include_run_directory !== undefined) {
    w.push(ignored('upload.batch_upload.include_run_directory', 'the reference validated it but never used it'));
  }
  if (raw.upload.directory_configs !== undefined) {
    w.push(ignored('upload.directory_configs', 'the reference validated it but never used it; per-directory settings belong in log_directories'));
  }
  if (raw.disk.cleanup_threshold !== undefined) w.push(ignored('disk.cleanup_threshold', 'use disk.warning_threshold'));
  if (raw.deletion.emergency.threshold !== undefined) {
    w.push(ignored('deletion.emergency.threshold', 'emergency cleanup starts at disk.warning_threshold (uploaded files) and disk.critical_threshold (files not uploaded)'));
  }
  return w;
}

function advisoryWarnings(raw: RawConfig, dirs: readonly LogDirectory[]): string[] {
  const w: string[] = [];
  const firstWithSource = new Map<string, number>();
  dirs.forEach((d, i) => {
    if (d.legacy) {
      w.push(`log_directories[${i}]: legacy string form, source guessed as "${d.source}" (write {path, source} to choose it)`);
    }
    const first = firstWithSource.get(d.source);
    if (first === undefined) {
      firstWithSource.set(d.source, i);
    } else {
      w.push(
        `log_directories[${i}]: guessed source "${d.source}" is also used by log_directories[${first}]; both upload under ${d.source}/ as the Python daemon did, and files with the same relative path and date become versions of one key (~0002, …) instead of separate folders (write {path, source} entries with distinct sources to avoid that)`,
      );
    }
  });
  const { after_upload: after, age_based: age } = raw.deletion;
  if (after.enabled && age.enabled && age.max_age_days <= after.keep_days) {
    w.push(
      `deletion.age_based.max_age_days (${age.max_age_days}) is not above deletion.after_upload.keep_days (${after.keep_days}): age-based cleanup removes files before keep_days has passed`,
    );
  }
  const listen = parseListen(raw.monitoring.http.listen);
  if (raw.monitoring.http.enabled && listen !== null && !isLoopbackHost(listen.host)) {
    w.push(`monitoring.http.listen (${raw.monitoring.http.listen}) is not a loopback address: /metrics and /status are reachable from the network`);
  }
  return w;
}

export function resolveConfig(raw: RawConfig, ctx: ResolveContext): Config {
  const logDirectories: LogDirectory[] = raw.log_directories.map((d) => ({
    path: d.path,
    // The schema rejected legacy entries whose source cannot be guessed.
    source: d.source ?? guessSource(d.path)!,
    recursive: d.recursive,
    pattern: d.pattern,
    allowDeletion: d.allow_deletion,
    legacy: d.legacy,
    // Only when written, so a file without the keys resolves exactly as before.
    ...('priority' in d && d.priority !== undefined ? { priority: d.priority } : {}),
    ...('priority_patterns' in d && d.priority_patterns !== undefined ? { priorityPatterns: d.priority_patterns } : {}),
  }));
  const s3 = raw.s3;
  const endpoint = s3.endpoint ?? null;
  const up = raw.upload;
  const codec = up.compression.codec;
  const level = codec === 'none' ? 0 : (up.compression.level ?? CODEC_LEVELS[codec].def);
  const maxLevel = codec === 'none' ? 0 : (up.compression.max_level ?? Math.max(level, DEFAULT_MAX_LEVEL[codec]));
  const skip = up.compression.skip_extensions ?? DEFAULT_SKIP_EXTENSIONS;
  const op = up.operational_hours;
  return {
    vehicleId: raw.vehicle_id,
    stateDir: raw.state_dir,
    logDirectories,
    s3: {
      bucket: s3.bucket,
      region: s3.region,
      profile: s3.profile ?? null,
      endpoint,
      forcePathStyle: s3.force_path_style ?? endpoint !== null,
      conditionalWrites: s3.conditional_writes ?? endpoint === null,
      storageClass: s3.storage_class ?? null,
      serverSideEncryption: s3.server_side_encryption ?? null,
      kmsKeyId: s3.kms_key_id ?? null,
    },
    upload: {
      schedule: up.schedule,
      fileStableSeconds: up.file_stable_seconds,
      operationalHours: { enabled: op.enabled, start: op.start ?? 0, end: op.end ?? 0 },
      batchUpload: { enabled: up.batch_upload.enabled },
      uploadOnStart: up.upload_on_start,
      queueFile: up.queue_file,
      scanExistingFiles: { enabled: up.scan_existing_files.enabled, maxAgeDays: up.scan_existing_files.max_age_days },
      processedFilesRegistry: {
        registryFile: up.processed_files_registry.registry_file,
        retentionDays: up.processed_files_registry.retention_days,
      },
      rescanIntervalSeconds: up.rescan_interval_seconds,
      shutdownDeadlineSeconds: up.shutdown_deadline_seconds,
      concurrency: up.concurrency,
      partSizeMb: up.part_size_mb,
      partConcurrency: up.part_concurrency,
      workers: up.workers ?? Math.min(MAX_WORKERS, Math.max(1, Math.floor(ctx.cpuCount) - 1)),
      compression: { codec, level, maxLevel, cpuBudgetPercent: up.compression.cpu_budget_percent, skipExtensions: [...new Set(skip)] },
      retry: {
        maxAttempts: up.retry.max_attempts,
        baseSeconds: up.retry.base_seconds,
        maxSeconds: up.retry.max_seconds,
      },
      bandwidth: {
        maxBytesPerSecond: up.bandwidth.max_mbps === null || up.bandwidth.max_mbps === undefined ? null : (up.bandwidth.max_mbps * 1e6) / 8,
        ...(up.bandwidth.schedule === undefined ? {} : { schedule: up.bandwidth.schedule }),
      },
      stallTimeoutSeconds: up.stall_timeout_seconds,
      ...(up.links === undefined ? {} : { links: resolveLinks(up.links) }),
      ...(up.markers === undefined ? {} : { markers: { pattern: up.markers.pattern, beforeMs: up.markers.before, afterMs: up.markers.after } }),
    },
    deletion: {
      afterUpload: { enabled: raw.deletion.after_upload.enabled, keepDays: raw.deletion.after_upload.keep_days },
      ageBased: {
        enabled: raw.deletion.age_based.enabled,
        maxAgeDays: raw.deletion.age_based.max_age_days,
        scheduleTime: raw.deletion.age_based.schedule_time,
        includeNotUploaded: raw.deletion.age_based.include_not_uploaded,
      },
      emergency: { enabled: raw.deletion.emergency.enabled },
    },
    disk: {
      reservedGb: raw.disk.reserved_gb,
      warningThreshold: raw.disk.warning_threshold,
      criticalThreshold: raw.disk.critical_threshold,
      checkIntervalSeconds: raw.disk.check_interval_seconds,
    },
    monitoring: {
      cloudwatchEnabled: raw.monitoring.cloudwatch_enabled,
      namespace: raw.monitoring.namespace,
      publishIntervalSeconds: raw.monitoring.publish_interval_seconds,
      http: { enabled: raw.monitoring.http.enabled, listen: raw.monitoring.http.listen },
      alarms: {
        lowUploadThresholdMb: raw.monitoring.low_upload_threshold_mb,
        evaluationPeriods: raw.monitoring.alarm_evaluation_periods,
        uploadFailuresThreshold: raw.monitoring.upload_failures_alarm_threshold,
        backlogThresholdHours: raw.monitoring.backlog_alarm_threshold_hours,
      },
    },
    s3Lifecycle: { retentionDays: raw.s3_lifecycle.retention_days },
    warnings: [...compatibilityWarnings(raw), ...advisoryWarnings(raw, logDirectories)],
    sourceFile: ctx.sourceFile,
  };
}

function resolveLinks(l: NonNullable<RawConfig['upload']['links']>): LinksConfig {
  const policy = (p: (typeof l.policy)['wifi']): LinkPolicy => ({ minPriority: p?.min_priority ?? 'low', bytesPerSecond: p?.bandwidth ?? null });
  return {
    routeFile: l.route_file,
    probeCommand: l.probe_command ?? null,
    probeIntervalSeconds: l.probe_interval_seconds,
    interfaces: l.interfaces ?? [],
    policy: { wifi: policy(l.policy.wifi), cellular: policy(l.policy.cellular), wired: policy(l.policy.wired) },
    // MB as data plans count them: 10^6 bytes.
    cellularBudgetBytesPerMonth: l.cellular_budget_mb_per_month == null ? null : l.cellular_budget_mb_per_month * 1e6,
  };
}
