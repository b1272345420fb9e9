/**
 * A daemon configuration whose schedule and operational hours hold every file (daily pass at
 * 03:00, hours 00:00–00:01, upload_on_start off): files wait in the queue until an upload pass
 * is asked for (`upload-now`), which is what the upload-now and status-page tests need.
 */
export interface HeldConfigOptions {
  readonly vehicleId: string;
  readonly dir: string;
  readonly bucket: string;
  readonly endpoint: string;
  /** The monitoring.http mapping; default: port 0 (never collides with a real daemon). */
  readonly http?: string;
  /** Extra lines inside `upload:` (two-space indented). */
  readonly upload?: string;
  /** Pattern for the one log directory, or none. */
  readonly pattern?: string;
}

export function heldConfigYaml(o: HeldConfigOptions): string {
  return `vehicle_id: ${o.vehicleId}
log_directories:
  - {path: ${o.dir}/logs, source: ros${o.pattern ? `, pattern: "${o.pattern}"` : ''}}
s3: {bucket: ${o.bucket}, region: us-east-1, endpoint: "${o.endpoint}"}
upload:
  schedule: {mode: daily, daily_time: "03:00"}
  file_stable_seconds: 0.2
  operational_hours: {enabled: true, start: "00:00", end: "00:01"}
  upload_on_start: false
${o.upload ?? ''}
deletion: {after_upload: {enabled: false}, age_based: {enabled: false}}
disk: {reserved_gb: 1}
monitoring: {cloudwatch_enabled: false, http: ${o.http ?? '{listen: "127.0.0.1:0"}'}}
state_dir: ${o.dir}/state
`;
}
