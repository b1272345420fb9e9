/**
 * The one daemon config the in-process and child-process daemon tests start from, in the
 * reference's `config.yaml` format: watched directories under a temp root, S3 at a test endpoint,
 * the legacy queue/registry files beside them, uploads scheduled at 02:00 (so only the start-up scan,
 * the watcher and upload-now send anything), deletion off, CloudWatch and the HTTP endpoint off, and
 * state under `<root>/state`. A test states only what it is about, as overrides merged into that base.
 *
 * Not for config validation tests: those write their YAML by hand (test/unit/config/helpers.ts),
 * since there the exact text is the subject.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { patched } from './patch.js';

/** A config value or nested section; arrays replace, objects merge, `undefined` removes the key (see patch.ts). */
export type ConfigTree = { readonly [key: string]: unknown };

export interface DaemonConfigOptions {
  /** Temp root: state in `<root>/state`, legacy files in `<root>/legacy`, default logs in `<root>/logs`. */
  readonly root: string;
  /** The S3 endpoint URL (s3rver, moto, a fault proxy). Omit for real AWS. */
  readonly endpoint?: string;
  readonly bucket?: string;
  readonly vehicleId?: string;
  /** `log_directories`; default one `ros` source at `<root>/logs`. */
  readonly directories?: ReadonlyArray<ConfigTree>;
  /** Merged into the base, section by section (see ConfigTree). */
  readonly overrides?: ConfigTree;
}

export const TEST_BUCKET = 'tvm-test-bucket';

/** The reference config's three sources under `<root>/logs`: ros (all files), terminal (*.log), syslog (syslog*, top level only). */
export function referenceDirectories(root: string): ConfigTree[] {
  return [
    { path: `${root}/logs/ros`, source: 'ros' },
    { path: `${root}/logs/terminal`, source: 'terminal', pattern: '*.log' },
    { path: `${root}/logs/syslog`, source: 'syslog', recursive: false, pattern: 'syslog*' },
  ];
}

/** The config as a plain object, before YAML: for tests that change it further. */
export function daemonConfig(o: DaemonConfigOptions): ConfigTree {
  const base: ConfigTree = {
    vehicle_id: o.vehicleId ?? 'test-vehicle',
    log_directories: o.directories ?? [{ path: `${o.root}/logs`, source: 'ros' }],
    s3: { bucket: o.bucket ?? TEST_BUCKET, region: 'us-east-1', endpoint: o.endpoint },
    upload: {
      schedule: '02:00',
      file_stable_seconds: 1,
      queue_file: `${o.root}/legacy/queue.json`,
      processed_files_registry: { registry_file: `${o.root}/legacy/processed_files.json` },
      scan_existing_files: { enabled: true, max_age_days: 3 },
      part_size_mb: 5,
    },
    deletion: { after_upload: { enabled: false }, age_based: { enabled: false } },
    disk: { reserved_gb: 1 },
    monitoring: { cloudwatch_enabled: false, http: { enabled: false } },
    state_dir: `${o.root}/state`,
  };
  return patched(base, o.overrides ?? {});
}

/** The config as `config.yaml` text, for `parseConfig` or a file the CLI reads. */
export function daemonConfigYaml(o: DaemonConfigOptions): string {
  return stringify(daemonConfig(o));
}

/** `monitoring.http` served on a free loopback port, so it never collides with another daemon's. */
export const HTTP_ANY_PORT: ConfigTree = { enabled: true, listen: '127.0.0.1:0' };

/**
 * A local time of day `hours` (and `minutes`) from when the test process loaded this module, as
 * "HH:MM": a time no test run reaches. Fixed times were not: a CI run that crossed 00:00 met the
 * "closed" window 00:00–00:01, and its held files were uploaded.
 */
export function timeOfDayFromNow(hours: number, minutes = 0): string {
  const d = new Date(LOADED_AT + (hours * 60 + minutes) * 60_000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
const LOADED_AT = Date.now();

/**
 * `upload` keys that hold every file in the queue until a pass is asked for (`upload-now`,
 * SIGUSR1): a daily pass and a one-minute operational window both 12 hours away, nothing sent at
 * start.
 */
export const HELD_UPLOADS: ConfigTree = {
  schedule: { mode: 'daily', daily_time: timeOfDayFromNow(12) },
  operational_hours: { enabled: true, start: timeOfDayFromNow(12, 5), end: timeOfDayFromNow(12, 6) },
  upload_on_start: false,
};

/**
 * For tests of upload passes (upload-now, SIGUSR1, the status page): the base with HELD_UPLOADS,
 * a 0.2 s stability wait and the status endpoint on a free port; `overrides` apply on top.
 */
export function heldConfigYaml(o: DaemonConfigOptions): string {
  const held = { upload: { ...HELD_UPLOADS, file_stable_seconds: 0.2 }, monitoring: { http: HTTP_ANY_PORT } };
  return daemonConfigYaml({ ...o, overrides: patched(held, o.overrides ?? {}) });
}

/**
 * Writes a config (from daemonConfig, maybe changed further) to `file` as the CLI reads it,
 * atomically (beside it, then renamed) as configuration management does: a reload signalled
 * while the file is rewritten reads the old or the new one, never half.
 */
export function writeDaemonConfig(file: string, config: ConfigTree): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, stringify(config));
  renameSync(tmp, file);
}
