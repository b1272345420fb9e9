/**
 * Starts the real daemon in process for chaos tests: three watched sources under a temp root,
 * S3 at whatever endpoint the test gives (normally the fault proxy), short retry backoff so a
 * storm converges in seconds, CloudWatch off. Telemetry is wired to an UploadTracker before
 * start-up, since the start-up scan can upload files before `Daemon.start` resolves.
 * Set TVM_TEST_LOG=/path to get the daemon's debug log for a failing seed.
 */
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon.js';
import { Telemetry } from '../../src/telemetry/events.js';
import { createLogger, silentLogger } from '../../src/telemetry/logger.js';
import { CHAOS_SOURCES } from './chaos-fixtures.js';
import { daemonConfigYaml } from './daemon-config.js';
import { UploadTracker } from './chaos-verify.js';
import type { TestCredentials } from './s3-servers.js';

export interface ChaosDaemonOptions {
  readonly root: string;
  readonly vehicleId: string;
  readonly bucket: string;
  readonly endpoint: string;
  readonly credentials: TestCredentials;
  readonly concurrency?: number;
}

export interface RunningChaosDaemon {
  readonly daemon: Daemon;
  readonly tracker: UploadTracker;
}

export function chaosConfigYaml(o: ChaosDaemonOptions): string {
  return daemonConfigYaml({
    root: o.root,
    endpoint: o.endpoint,
    bucket: o.bucket,
    vehicleId: o.vehicleId,
    directories: CHAOS_SOURCES.map((s) => ({ path: `${o.root}/logs/${s}`, source: s, pattern: '*.log' })),
    overrides: { upload: { file_stable_seconds: 0.5, concurrency: o.concurrency ?? 4, retry: { max_attempts: 10, base_seconds: 0.05, max_seconds: 2 } } },
  });
}

export async function startChaosDaemon(o: ChaosDaemonOptions): Promise<RunningChaosDaemon> {
  const telemetry = new Telemetry(silentLogger());
  const tracker = new UploadTracker(telemetry);
  const dest = process.env.TVM_TEST_LOG;
  const logger = dest ? createLogger({ level: 'debug', destination: pino.destination({ dest, sync: true, append: true }) }) : silentLogger();
  const daemon = await Daemon.start({ config: parseConfig(chaosConfigYaml(o), { env: {} }), logger, s3Credentials: o.credentials, telemetry });
  return { daemon, tracker };
}
