/**
 * The resolved configuration: what the rest of the daemon reads. Produced once by
 * `loadConfig()` (config/load.ts) from YAML in the Python reference's format plus our own keys,
 * fully defaulted, validated and deep-frozen. Nothing else parses YAML or applies defaults.
 *
 * Field names are camelCase renderings of the YAML snake_case keys; docs/CONFIGURATION.md
 * documents the YAML keys.
 */

import type { Priority } from '../priority/priority.js';
import type { TimetableEntry } from '../link/timetable.js';
import type { InterfaceRule, PolicyLink } from '../link/link-kind.js';
import type { MinuteOfDay } from './times.js';

/** Minutes since local midnight, 0..1439 (defined in times.ts, beside its parser). */
export type { MinuteOfDay };

export interface LogDirectory {
  /** Absolute, normalised path (env and ~ expanded, no trailing slash). */
  readonly path: string;
  /** `^[A-Za-z0-9_]+$`, unique across entries. Third level of the object key. */
  readonly source: string;
  readonly recursive: boolean;
  /** fnmatch-style glob on the basename (`*`, `?`, `[...]`), or null = every file. */
  readonly pattern: string | null;
  readonly allowDeletion: boolean;
  /** True when written in the reference's legacy plain-string form. */
  readonly legacy: boolean;
  /** `priority`; absent when not written (= normal). */
  readonly priority?: Priority;
  /** `priority_patterns`, first match on the basename wins; absent when not written. */
  readonly priorityPatterns?: readonly PriorityPattern[];
}

export interface PriorityPattern {
  readonly pattern: string;
  readonly priority: Priority;
}

export type Schedule =
  | { readonly mode: 'daily'; readonly dailyTime: MinuteOfDay }
  | { readonly mode: 'interval'; readonly intervalMinutes: number };

export type Codec = 'gzip' | 'zstd' | 'none';

export interface S3Config {
  readonly bucket: string;
  readonly region: string;
  readonly profile: string | null;
  /** Custom S3-compatible endpoint URL, or null for AWS (AWS_ENDPOINT_URL is honoured by the client). */
  readonly endpoint: string | null;
  /** Defaults to true when an endpoint is set, false otherwise. */
  readonly forcePathStyle: boolean;
  /** `If-None-Match: *` on every write so the server refuses to replace an object. Default: true for AWS (no endpoint). */
  readonly conditionalWrites: boolean;
  readonly storageClass: string | null;
  readonly serverSideEncryption: 'AES256' | 'aws:kms' | null;
  readonly kmsKeyId: string | null;
}

export interface UploadConfig {
  readonly schedule: Schedule;
  /** Seconds a file's size and mtime must stay unchanged; >= 0, fractions allowed. */
  readonly fileStableSeconds: number;
  readonly operationalHours: {
    readonly enabled: boolean;
    readonly start: MinuteOfDay;
    /** May be < start: an overnight window (22:00 → 06:00). */
    readonly end: MinuteOfDay;
  };
  readonly batchUpload: { readonly enabled: boolean };
  readonly uploadOnStart: boolean;
  /** Path of the reference's queue.json, imported once on first start. */
  readonly queueFile: string;
  readonly scanExistingFiles: { readonly enabled: boolean; readonly maxAgeDays: number };
  readonly processedFilesRegistry: { readonly registryFile: string; readonly retentionDays: number };
  /** Seconds between reconciliation rescans of every watched tree; 0 disables. */
  readonly rescanIntervalSeconds: number;
  /** Seconds in-flight uploads get to finish at shutdown before they are checkpointed; 0..3600. */
  readonly shutdownDeadlineSeconds: number;
  /** Files compressed/uploaded at once. */
  readonly concurrency: number;
  /** Multipart part size in MiB (5..5120). Objects larger than one part go multipart. */
  readonly partSizeMb: number;
  /** Parts of one multipart object in flight at once. */
  readonly partConcurrency: number;
  /** Compression worker threads; default = cores − 1 (min 1). */
  readonly workers: number;
  readonly compression: {
    readonly codec: Codec;
    /** gzip 1..9 (default 6), zstd 1..19 (default 3); ignored for none. */
    readonly level: number;
    /** Highest level a capped upload may raise it to (pipeline/compression-level.ts); = level: never raised. 0 for none. */
    readonly maxLevel: number;
    /** CPU (percent of one core) the raised level may take to keep a capped link busy. */
    readonly cpuBudgetPercent: number;
    /** Lower-case extensions (with dot) uploaded as they are, e.g. ".mcap". */
    readonly skipExtensions: readonly string[];
  };
  readonly retry: {
    /** Attempts with exponential backoff before a file is parked at maxSeconds intervals (never dropped). */
    readonly maxAttempts: number;
    readonly baseSeconds: number;
    readonly maxSeconds: number;
  };
  readonly bandwidth: {
    /** Upload cap in bytes per second across all transfers; null = unlimited. */
    readonly maxBytesPerSecond: number | null;
    /** `schedule`: rclone-style timetable; absent when not written. */
    readonly schedule?: readonly TimetableEntry[];
  };
  /** Seconds without upload progress before a transfer is aborted and retried; 0 = never. */
  readonly stallTimeoutSeconds: number;
  /** `upload.links`: link-aware policy; absent when not written (no probing, everything uploads). */
  readonly links?: LinksConfig;
  /** `upload.markers`: marker files that set an incident marker; absent when not written. */
  readonly markers?: { readonly pattern: string; readonly beforeMs: number; readonly afterMs: number };
}

export interface LinkPolicy {
  /** Least urgent priority sent over this link. */
  readonly minPriority: Priority;
  /** Cap over this link in bytes per second; null = no cap of its own. */
  readonly bytesPerSecond: number | null;
}

export interface LinksConfig {
  readonly routeFile: string;
  /** Shell command printing a link name or an interface name; null = read routeFile. */
  readonly probeCommand: string | null;
  readonly probeIntervalSeconds: number;
  /** Operator's interface globs, tried before the built-in ones. */
  readonly interfaces: readonly InterfaceRule[];
  readonly policy: Readonly<Record<PolicyLink, LinkPolicy>>;
  /** Bytes per calendar month (local time) over cellular; null = unlimited. */
  readonly cellularBudgetBytesPerMonth: number | null;
}

export interface DeletionConfig {
  readonly afterUpload: { readonly enabled: boolean; readonly keepDays: number };
  readonly ageBased: {
    readonly enabled: boolean;
    readonly maxAgeDays: number;
    readonly scheduleTime: MinuteOfDay;
    /** Also delete old files not uploaded yet (each one audited). */
    readonly includeNotUploaded: boolean;
  };
  readonly emergency: { readonly enabled: boolean };
}

export interface DiskConfig {
  readonly reservedGb: number;
  readonly warningThreshold: number;
  readonly criticalThreshold: number;
  /** Seconds between disk checks (emergency policy) and after_upload sweeps. */
  readonly checkIntervalSeconds: number;
}

export interface MonitoringConfig {
  readonly cloudwatchEnabled: boolean;
  readonly namespace: string;
  readonly publishIntervalSeconds: number;
  readonly http: { readonly enabled: boolean; readonly listen: string };
  /** CloudWatch alarms created at start (see sinks/cloudwatch/alarms.ts). */
  readonly alarms: {
    readonly lowUploadThresholdMb: number;
    readonly evaluationPeriods: number;
    readonly uploadFailuresThreshold: number;
    readonly backlogThresholdHours: number;
  };
}

export interface Config {
  readonly vehicleId: string;
  /** Directory for the SQLite database and the compression spool. */
  readonly stateDir: string;
  readonly logDirectories: readonly LogDirectory[];
  readonly s3: S3Config;
  readonly upload: UploadConfig;
  readonly deletion: DeletionConfig;
  readonly disk: DiskConfig;
  readonly monitoring: MonitoringConfig;
  readonly s3Lifecycle: { readonly retentionDays: number };
  /** Deprecation warnings produced while loading (keys the reference accepted but never used). */
  readonly warnings: readonly string[];
  /** Absolute path of the file this was loaded from, or null. */
  readonly sourceFile: string | null;
}
