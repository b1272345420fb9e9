/**
 * An in-process daemon for the bad-input suite: config text in the reference's format against a
 * test S3 server, telemetry recorded from before start-up, and the questions the suite asks of
 * it (what was uploaded, what failed with which code, did a given file vanish). Also a recorder
 * for unhandled promise rejections, which must stay empty whatever the files look like.
 */
import { parseConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon.js';
import { createLogger, silentLogger } from '../../src/telemetry/logger.js';
import { Telemetry, type TelemetryEvent } from '../../src/telemetry/events.js';
import type { S3TestServer } from './s3-servers.js';

type Uploaded = Extract<TelemetryEvent, { type: 'file.uploaded' }>;
type Failed = Extract<TelemetryEvent, { type: 'file.failed' }>;

export class RecordedDaemon {
  private constructor(
    readonly daemon: Daemon,
    readonly events: readonly TelemetryEvent[],
    /** The daemon's own log lines (warn and above), parsed. */
    readonly logs: ReadonlyArray<Record<string, unknown>>,
  ) {}

  static async start(server: S3TestServer, yaml: string): Promise<RecordedDaemon> {
    // Listening before start: files found by the startup scan can finish uploading during it.
    const events: TelemetryEvent[] = [];
    const logs: Array<Record<string, unknown>> = [];
    const logger = createLogger({ level: 'warn', pretty: false, destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) } });
    const telemetry = new Telemetry(silentLogger());
    telemetry.on((e) => events.push(e));
    const daemon = await Daemon.start({ config: parseConfig(yaml, { env: {} }), logger, s3Credentials: server.credentials, telemetry });
    return new RecordedDaemon(daemon, events, logs);
  }

  uploaded(path?: string): Uploaded[] {
    return this.events.filter((e): e is Uploaded => e.type === 'file.uploaded' && (path === undefined || e.path === path));
  }

  failed(path?: string): Failed[] {
    return this.events.filter((e): e is Failed => e.type === 'file.failed' && (path === undefined || e.path === path));
  }

  vanished(path: string): boolean {
    return this.events.some((e) => e.type === 'file.vanished' && e.path === path);
  }

  /** Every path the daemon said anything about (queued, uploaded, failed, vanished, changed). */
  touched(): Set<string> {
    return new Set(this.events.flatMap((e) => ('path' in e ? [e.path] : [])));
  }

  summary(): string {
    return JSON.stringify(this.events.filter((e) => e.type !== 'queue.depth').map((e) => [e.type, 'path' in e ? e.path.split('/').slice(-2).join('/') : '', 'code' in e ? e.code : '']));
  }
}

/** Records unhandled rejections while installed. */
export class RejectionRecorder {
  readonly seen: unknown[] = [];
  private readonly listener = (reason: unknown): void => {
    this.seen.push(reason);
  };

  install(): void {
    process.on('unhandledRejection', this.listener);
  }

  uninstall(): void {
    process.off('unhandledRejection', this.listener);
  }
}
