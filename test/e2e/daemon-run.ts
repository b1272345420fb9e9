/**
 * Runs the real daemon in process for one e2e run: start with a reference-format config,
 * collect telemetry from before start-up (the start-up scan can finish uploads during start),
 * wait until every fixture is uploaded, then close it, which also flushes the CloudWatch
 * outbox. Waits are event-driven and abortable: when a hook times out, `abort()` ends the wait
 * so the cleanup in `after()` can close the daemon and nothing keeps mocha alive.
 */
import { pino } from 'pino';
import type { Config } from '../../src/config/types.js';
import { Daemon } from '../../src/daemon.js';
import { Telemetry, type TelemetryEvent } from '../../src/telemetry/events.js';
import { createLogger, silentLogger, type Logger } from '../../src/telemetry/logger.js';

export type UploadedEvent = Extract<TelemetryEvent, { type: 'file.uploaded' }>;
export type FailedEvent = Extract<TelemetryEvent, { type: 'file.failed' }>;

export interface DaemonRunOptions {
  /** The resolved configuration (parseConfig of the run's YAML). */
  readonly config: Config;
  /** Environment for the S3 and CloudWatch clients (endpoint variables, AWS_CA_BUNDLE, credentials). */
  readonly env: NodeJS.ProcessEnv;
  /** Debug log destination, or null for silence. */
  readonly logFile: string | null;
}

export class DaemonRun {
  readonly uploaded: UploadedEvent[] = [];
  readonly failed: FailedEvent[] = [];
  private daemon: Daemon | null = null;
  private starting: Promise<Daemon> | null = null;
  private readonly aborted = new AbortController();
  private readonly logger: Logger;
  private wake: (() => void) | null = null;

  constructor(private readonly o: DaemonRunOptions) {
    this.logger = o.logFile === null ? silentLogger() : createLogger({ level: 'debug', destination: pino.destination({ dest: o.logFile, sync: true, append: true }) });
  }

  async start(): Promise<void> {
    const telemetry = new Telemetry(silentLogger());
    telemetry.on((e) => {
      if (e.type === 'file.uploaded') this.uploaded.push(e);
      else if (e.type === 'file.failed') this.failed.push(e);
      else return;
      this.wake?.();
    });
    this.starting = Daemon.start({ config: this.o.config, logger: this.logger, env: this.o.env, telemetry });
    this.daemon = await this.starting;
  }

  /**
   * Resolves when `count` distinct files are uploaded. Rejects at once on a permanent failure
   * or one that needs an operator (bad credentials, missing bucket, AccessDenied), since
   * retrying those only hides the cause, and after `timeoutMs` with every failure seen so far.
   */
  async waitForUploads(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = new Set(this.uploaded.map((e) => e.path)).size;
      if (done >= count) return;
      const fatal = this.failed.find((f) => f.retriability !== 'retriable');
      if (fatal !== undefined) throw new Error(`upload failed (${fatal.retriability}): ${fatal.code} ${fatal.message}${fatal.hint ? ` (hint: ${fatal.hint})` : ''}`);
      if (this.aborted.signal.aborted) throw new Error('the e2e run was aborted (hook timeout or cleanup)');
      const left = deadline - Date.now();
      if (left <= 0) {
        const seen = this.failed.map((f) => `${f.code}: ${f.message}`).slice(-5);
        throw new Error(`only ${done} of ${count} files were uploaded within ${Math.round(timeoutMs / 1000)} s; last failures: ${seen.join(' | ') || 'none'}`);
      }
      // Woken by the next telemetry event or an abort; the timer only bounds the wait.
      await new Promise<void>((resolve) => {
        const signal = this.aborted.signal;
        const finish = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', finish);
          resolve();
        };
        const timer = setTimeout(finish, Math.min(left, 5_000));
        signal.addEventListener('abort', finish, { once: true });
        this.wake = finish;
      });
      this.wake = null;
    }
  }

  /** Resolves once nothing is queued or in flight. */
  async whenIdle(): Promise<void> {
    await this.daemon?.whenIdle();
  }

  /** Ends any wait, then closes the daemon, even one still starting. Idempotent. */
  async close(deadlineMs = 20_000): Promise<void> {
    this.aborted.abort();
    this.wake?.();
    const daemon = this.daemon ?? (await this.starting?.catch(() => null)) ?? null;
    this.daemon = null;
    this.starting = null;
    await daemon?.close(deadlineMs);
  }
}
