/**
 * What CLI tests share: an in-memory CliIo that records output, and a config in the reference's
 * format whose uploads wait for `upload-now` (operational hours are one minute after midnight,
 * no upload on start), against a test S3 server.
 */
import type { CliIo } from '../../src/cli/io.js';

export function captureIo(env: NodeJS.ProcessEnv = {}): { cli: CliIo; out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env };
  return { cli, out: () => out.join('\n'), err: () => err.join('\n') };
}

export function heldUploadsConfig(o: { vehicleId: string; dir: string; endpoint: string; bucket: string; stableSeconds: number }): string {
  return `vehicle_id: ${o.vehicleId}
log_directories:
  - path: ${o.dir}/logs
    source: ros
s3: {bucket: ${o.bucket}, region: us-east-1, endpoint: "${o.endpoint}"}
upload:
  schedule: {mode: daily, daily_time: "03:00"}
  file_stable_seconds: ${o.stableSeconds}
  operational_hours: {enabled: true, start: "00:00", end: "00:01"}
  upload_on_start: false
deletion: {after_upload: {enabled: false}, age_based: {enabled: false}}
disk: {reserved_gb: 1}
monitoring: {cloudwatch_enabled: false, http: {listen: "127.0.0.1:0"}}
state_dir: ${o.dir}/state
`;
}
