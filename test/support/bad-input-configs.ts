/**
 * The malformed configurations the bad-input suite feeds to the real CLI: each row starts from a
 * valid file-based configuration (absolute temp paths, CloudWatch off) and breaks one thing, or
 * replaces the file with something that is not a configuration at all. `expect` is the key path
 * (or file-level phrase) the one-line problem must name. Exact wording is the unit tests' job
 * (test/unit/config/malformed.test.ts); this table is about what a process does with them.
 */
import { stringify } from 'yaml';
import { patched } from './patch.js';

export type ConfigInput =
  | { readonly patch: Record<string, unknown> }
  | { readonly text: (valid: string) => string }
  | { readonly special: 'directory' | 'missing' | 'binary' | 'huge' };

export interface ConfigRow {
  readonly name: string;
  readonly input: ConfigInput;
  /** Text the problem line must contain (usually the key path). */
  readonly expect: string;
  /** Problem lines expected (default 1). */
  readonly lines?: number;
}

/** A variable no environment defines. */
export const UNDEFINED_VAR = 'TVM_BAD_INPUT_SURELY_UNDEFINED_7Q';

export function validConfig(dir: string): Record<string, unknown> {
  return {
    vehicle_id: 'vehicle-001',
    log_directories: [{ path: `${dir}/logs/ros`, source: 'ros' }],
    s3: { bucket: 'tvm-logs', region: 'us-east-1', endpoint: 'http://127.0.0.1:9' },
    upload: { schedule: '15:00' },
    disk: { reserved_gb: 5 },
    monitoring: { cloudwatch_enabled: false, http: { enabled: false } },
    state_dir: `${dir}/state`,
  };
}

export { patched };

export const yamlText = (data: unknown): string => stringify(data);

const p = (name: string, patch: Record<string, unknown>, expect: string, lines?: number): ConfigRow => ({
  name,
  input: { patch },
  expect,
  ...(lines === undefined ? {} : { lines }),
});
const t = (name: string, text: (valid: string) => string, expect: string): ConfigRow => ({ name, input: { text }, expect });
const up = (u: Record<string, unknown>): Record<string, unknown> => ({ upload: u });
const s3 = (s: Record<string, unknown>): Record<string, unknown> => ({ s3: s });

export function configRows(dir: string): ConfigRow[] {
  const dirs = (...entries: unknown[]): Record<string, unknown> => ({ log_directories: entries });
  return [
    // identity and unknown keys
    p('vehicle_id missing', { vehicle_id: undefined }, 'vehicle_id'),
    p('vehicle_id a number', { vehicle_id: 17 }, 'vehicle_id'),
    p('unknown top-level key (did you mean)', { vehicle: 'x' }, 'vehicle: unknown key (did you mean "vehicle_id"?)'),
    p('unknown upload key (did you mean)', up({ file_stabel_seconds: 5 }), 'upload.file_stabel_seconds: unknown key (did you mean "file_stable_seconds"?)'),
    p('unknown s3 key (did you mean)', s3({ endpoint_url: 'http://x' }), 's3.endpoint_url: unknown key (did you mean "endpoint"?)'),
    // log_directories
    p('log_directories missing', { log_directories: undefined }, 'log_directories'),
    p('log_directories a string', { log_directories: '/logs' }, 'log_directories'),
    p('log_directories item without source', dirs({ path: `${dir}/logs` }), 'log_directories[0].source'),
    p('log_directories recursive as a string', dirs({ path: `${dir}/logs`, source: 'ros', recursive: 'yes' }), 'log_directories[0].recursive'),
    p('log_directories undefined $VAR', dirs({ path: `$${UNDEFINED_VAR}/logs`, source: 'ros' }), `log_directories[0].path: undefined environment variable $${UNDEFINED_VAR}`),
    p('log_directories ~user', dirs('~nobody-here/logs'), 'log_directories[0]'),
    p('log_directories ${VAR:-default}', dirs({ path: '${HOME:-/tmp}/logs', source: 'ros' }), 'log_directories[0].path'),
    p('log_directories overlapping recursive entries', dirs({ path: `${dir}/logs`, source: 'all' }, { path: `${dir}/logs/ros`, source: 'ros' }), 'log_directories[1].path'),
    p('log_directories duplicate source', dirs({ path: `${dir}/a`, source: 'ros' }, { path: `${dir}/b`, source: 'ros' }), 'log_directories[1].source'),
    // s3
    p('s3.bucket with upper case', s3({ bucket: 'TVM_Logs' }), 's3.bucket'),
    p('s3.bucket an IP address', s3({ bucket: '10.0.0.1' }), 's3.bucket'),
    p('s3.region with a space', s3({ region: 'us east 1' }), 's3.region'),
    p('s3.endpoint ftp://', s3({ endpoint: 'ftp://minio:9000' }), 's3.endpoint'),
    p('s3.endpoint not a URL', s3({ endpoint: 'not a url' }), 's3.endpoint'),
    p('s3.kms_key_id without aws:kms', s3({ server_side_encryption: 'AES256', kms_key_id: 'alias/logs' }), 's3.kms_key_id'),
    // schedule and times
    p('upload.schedule "25:00"', up({ schedule: '25:00' }), 'upload.schedule'),
    t('upload.schedule.daily_time unquoted 0900', (v) => v.replace('schedule: 15:00', 'schedule: {mode: daily, daily_time: 0900}'), 'upload.schedule.daily_time'),
    t('upload.schedule unquoted 15:00:00', (v) => v.replace('schedule: 15:00', 'schedule: 15:00:00'), 'upload.schedule'),
    p('upload.schedule.mode unknown', up({ schedule: { mode: 'weekly' } }), 'upload.schedule.mode'),
    p('upload.schedule interval of zero', up({ schedule: { mode: 'interval', interval_hours: 0, interval_minutes: 0 } }), 'upload.schedule'),
    p('operational_hours start == end', up({ operational_hours: { enabled: true, start: '09:00', end: '09:00' } }), 'upload.operational_hours'),
    p('operational_hours.enabled a string', up({ operational_hours: { enabled: 'true', start: '08:00', end: '18:00' } }), 'upload.operational_hours.enabled'),
    // numbers
    p('file_stable_seconds quoted', up({ file_stable_seconds: '5' }), 'upload.file_stable_seconds'),
    p('file_stable_seconds negative', up({ file_stable_seconds: -1 }), 'upload.file_stable_seconds'),
    t('file_stable_seconds .nan', (v) => v.replace('schedule: 15:00', 'schedule: 15:00\n  file_stable_seconds: .nan'), 'upload.file_stable_seconds'),
    t('file_stable_seconds .inf', (v) => v.replace('schedule: 15:00', 'schedule: 15:00\n  file_stable_seconds: .inf'), 'upload.file_stable_seconds'),
    p('disk.reserved_gb true', { disk: { reserved_gb: true } }, 'disk.reserved_gb'),
    p('disk warning >= critical', { disk: { warning_threshold: 0.95, critical_threshold: 0.95 } }, 'disk.warning_threshold'),
    p('upload.concurrency 0', up({ concurrency: 0 }), 'upload.concurrency'),
    p('upload.part_size_mb below the S3 minimum', up({ part_size_mb: 4 }), 'upload.part_size_mb'),
    p('upload.retry.max_seconds below base_seconds', up({ retry: { base_seconds: 30, max_seconds: 10 } }), 'upload.retry.max_seconds'),
    p('deletion.age_based.schedule_time an integer', { deletion: { age_based: { schedule_time: 200 } } }, 'deletion.age_based.schedule_time'),
    p('monitoring.cloudwatch_enabled a string', { monitoring: { cloudwatch_enabled: 'false' } }, 'monitoring.cloudwatch_enabled'),
    p('state_dir undefined $VAR', { state_dir: `\${${UNDEFINED_VAR}}/tvm` }, 'state_dir'),
    // not YAML, not a mapping, not a file
    t('YAML syntax error', () => 'vehicle_id: [unclosed\n', 'YAML syntax error at line'),
    t('tab indentation', (v) => v.replace('monitoring:\n  cloudwatch_enabled', 'monitoring:\n\tcloudwatch_enabled'), 'YAML syntax error at line'),
    t('duplicate top-level key', (v) => `${v}vehicle_id: other\n`, 'vehicle_id'),
    t('duplicate nested key', (v) => v.replace('region: us-east-1', 'region: us-east-1\n  region: eu-west-1'), 'region'),
    t('two YAML documents', (v) => `${v}---\nvehicle_id: other\n`, 'more than one YAML document'),
    t('alias bomb', () => 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n', 'YAML error'),
    t('empty file', () => '', 'the configuration is empty'),
    t('a list at the top level', () => '- vehicle_id: v\n', '(top level)'),
    { name: 'binary file', input: { special: 'binary' }, expect: 'YAML syntax error at line' },
    { name: 'file larger than 1 MiB', input: { special: 'huge' }, expect: 'a config file is at most' },
    { name: 'a directory as the config file', input: { special: 'directory' }, expect: 'is a directory' },
    { name: 'no such file', input: { special: 'missing' }, expect: 'does not exist' },
  ];
}
