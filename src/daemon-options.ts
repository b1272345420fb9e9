/** What Daemon.start takes, and what Daemon.status() answers. */
import type { Clock } from './clock/clock.js';
import type { Config } from './config/types.js';
import type { DeletionProbes } from './deletion/build.js';
import type { DiskUsage } from './disk/usage.js';
import type { LinkStatus } from './link/link-controller.js';
import type { WatcherBackend } from './pipeline/watch-source.js';
import type { QueueByPriority, Telemetry } from './telemetry/events.js';
import type { Logger } from './telemetry/logger.js';

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
