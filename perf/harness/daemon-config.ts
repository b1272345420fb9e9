/**
 * The daemon configuration a perf run uses: a reference-format YAML file pointing at the
 * loopback server, with uploads live (no operational-hours window, upload_on_start), deletion and
 * CloudWatch off (they would measure something else), the HTTP endpoint off unless a suite asks
 * for it (`idle` does: it is on by default), and only the knobs a suite varies set
 * explicitly. Everything else keeps its documented default, so a run measures what a vehicle
 * with a default configuration would do.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';

/** The vehicle id every perf configuration uses (the first segment of each object key). */
export const PERF_VEHICLE_ID = 'perf-vehicle-01';

export interface Tuning {
  readonly fileStableSeconds?: number;
  readonly concurrency?: number;
  readonly partConcurrency?: number;
  readonly partSizeMb?: number;
  readonly workers?: number;
  readonly codec?: 'gzip' | 'zstd' | 'none';
  readonly level?: number;
  /** upload.compression.max_level: how far a capped upload may raise the level (= level: fixed). */
  readonly maxLevel?: number;
  readonly maxMbps?: number;
}

export interface WatchedDir {
  readonly path: string;
  readonly source: string;
}

export interface DaemonConfigInput {
  readonly stateDir: string;
  readonly dirs: readonly WatchedDir[];
  readonly endpoint: string;
  readonly bucket: string;
  readonly tuning: Tuning;
  /**
   * monitoring.http.listen: serve /metrics, /healthz and /status as a default configuration does
   * (host:port). Unset: the endpoint is off, so parallel runs never compete for its port.
   */
  readonly httpListen?: string;
}

/** The knobs that decide throughput and memory, as the daemon resolved them. */
export interface ResolvedKnobs {
  readonly fileStableSeconds: number;
  readonly concurrency: number;
  readonly partConcurrency: number;
  readonly partSizeMb: number;
  readonly workers: number;
  readonly codec: string;
  readonly level: number;
  readonly maxLevel: number;
  readonly maxMbps: number | null;
  readonly watchedDirs: number;
}

export function configYaml(i: DaemonConfigInput): string {
  const t = i.tuning;
  const upload: string[] = [
    '  schedule: {mode: interval, interval_hours: 24}',
    `  file_stable_seconds: ${t.fileStableSeconds ?? 60}`,
    '  upload_on_start: true',
    `  queue_file: ${i.stateDir}/queue.json`,
    `  processed_files_registry: {registry_file: ${i.stateDir}/processed_files.json}`,
  ];
  if (t.concurrency !== undefined) upload.push(`  concurrency: ${t.concurrency}`);
  if (t.partConcurrency !== undefined) upload.push(`  part_concurrency: ${t.partConcurrency}`);
  if (t.partSizeMb !== undefined) upload.push(`  part_size_mb: ${t.partSizeMb}`);
  if (t.workers !== undefined) upload.push(`  workers: ${t.workers}`);
  if (t.codec !== undefined || t.level !== undefined || t.maxLevel !== undefined) {
    const parts = [
      t.codec !== undefined ? `codec: ${t.codec}` : null,
      t.level !== undefined ? `level: ${t.level}` : null,
      t.maxLevel !== undefined ? `max_level: ${t.maxLevel}` : null,
    ].filter((p) => p !== null);
    upload.push(`  compression: {${parts.join(', ')}}`);
  }
  if (t.maxMbps !== undefined) upload.push(`  bandwidth: {max_mbps: ${t.maxMbps}}`);
  return [
    `vehicle_id: ${PERF_VEHICLE_ID}`,
    `state_dir: ${i.stateDir}`,
    'log_directories:',
    ...i.dirs.map((d) => `  - {path: ${d.path}, source: ${d.source}, recursive: true}`),
    `s3: {bucket: ${i.bucket}, region: us-east-1, endpoint: "${i.endpoint}"}`,
    'upload:',
    ...upload,
    'deletion: {after_upload: {enabled: false}, age_based: {enabled: false}}',
    'disk: {reserved_gb: 1}',
    i.httpListen === undefined
      ? 'monitoring: {cloudwatch_enabled: false, http: {enabled: false}}'
      : `monitoring: {cloudwatch_enabled: false, http: {enabled: true, listen: "${i.httpListen}"}}`,
    '',
  ].join('\n');
}

/** Writes the YAML next to the state directory and returns its path and the resolved knobs. */
export function writeDaemonConfig(dir: string, input: DaemonConfigInput): { path: string; knobs: ResolvedKnobs } {
  const path = join(dir, 'config.yaml');
  writeFileSync(path, configYaml(input));
  // Loaded exactly as the daemon will load it, so defaults (workers = cores − 1, codec level)
  // are reported as resolved rather than guessed.
  const c: Config = loadConfig(path, { env: {} });
  const u = c.upload;
  return {
    path,
    knobs: {
      fileStableSeconds: u.fileStableSeconds,
      concurrency: u.concurrency,
      partConcurrency: u.partConcurrency,
      partSizeMb: u.partSizeMb,
      workers: u.workers,
      codec: u.compression.codec,
      level: u.compression.level,
      maxLevel: u.compression.maxLevel,
      maxMbps: u.bandwidth.maxBytesPerSecond === null ? null : (u.bandwidth.maxBytesPerSecond * 8) / 1e6,
      watchedDirs: c.logDirectories.length,
    },
  };
}
