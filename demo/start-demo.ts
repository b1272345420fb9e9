/**
 * `npm start`: the real daemon against an embedded S3-compatible endpoint (s3rver) on loopback,
 * so a new checkout runs end to end with no AWS account. Writes var/demo/config.yaml (the same
 * format a vehicle uses), starts s3rver storing objects under var/demo/s3, then runs
 * `tvm-upload run` in this process until Ctrl-C. Lives beside perf/, outside src/, because it needs
 * the dev dependency s3rver: nothing the package ships imports it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import S3rver from 's3rver';
import { runCommand } from '../src/cli/run.js';
import { processIo } from '../src/cli/io.js';

const root = resolve(process.env.TVM_DEMO_DIR ?? 'var/demo');
const port = Number(process.env.TVM_DEMO_S3_PORT ?? 4568);
const bucket = 'tvm-demo';
const logs = join(root, 'logs');
for (const d of ['terminal', 'ros', 'syslog']) mkdirSync(join(logs, d), { recursive: true });
mkdirSync(join(root, 's3'), { recursive: true });

const server = new S3rver({
  address: '127.0.0.1',
  port,
  directory: join(root, 's3'),
  silent: true,
  configureBuckets: [{ name: bucket, configs: [] }],
});
await server.run();

// s3rver's fixed demo credentials; a real vehicle uses the AWS credential chain instead.
process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';

const configPath = join(root, 'config.yaml');
writeFileSync(
  configPath,
  `# Written by npm start: the embedded demo. A vehicle's config uses the same keys.
vehicle_id: demo-vehicle
state_dir: ${join(root, 'state')}
log_directories:
  - path: ${join(logs, 'terminal')}
    source: terminal
  - path: ${join(logs, 'ros')}
    source: ros
  - path: ${join(logs, 'syslog')}
    source: syslog
    recursive: false
s3:
  bucket: ${bucket}
  region: us-east-1
  endpoint: http://127.0.0.1:${port}
upload:
  schedule: {mode: interval, interval_hours: 1, interval_minutes: 0}
  file_stable_seconds: 2
  queue_file: ${join(root, 'state', 'legacy-queue.json')}
  processed_files_registry:
    registry_file: ${join(root, 'state', 'legacy-registry.json')}
deletion:
  after_upload: {enabled: false}
  age_based: {enabled: false}
disk:
  reserved_gb: 1
monitoring:
  cloudwatch_enabled: false
`,
);

process.stdout.write(
  [
    '',
    'tvm-upload demo',
    `  embedded S3:   http://127.0.0.1:${port}  (bucket ${bucket}, objects stored under ${join(root, 's3', bucket)})`,
    `  config:        ${configPath}`,
    `  drop files in: ${join(logs, 'terminal')}  ${join(logs, 'ros')}  ${join(logs, 'syslog')}`,
    '  they are uploaded 2 s after they stop changing, gzip-compressed, as',
    '  demo-vehicle/<YYYY-MM-DD>/<source>/<path>.gz   — Ctrl-C to stop.',
    '',
  ].join('\n'),
);

const code = await runCommand(processIo, { config: configPath, logLevel: process.env.TVM_DEMO_LOG_LEVEL ?? 'info' });
await server.close();
process.exit(code);
