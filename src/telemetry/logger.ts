/**
 * The daemon's logger: pino JSON lines on stdout (journald-friendly), pretty single lines when
 * stdout is a TTY. Credentials are redacted by key name wherever they appear in structured
 * fields; messages never interpolate credential values in the first place.
 */
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const REDACT = [
  'accessKeyId', 'secretAccessKey', 'sessionToken', 'credentials', 'authorization', 'Authorization',
  '*.accessKeyId', '*.secretAccessKey', '*.sessionToken', '*.credentials', '*.authorization', '*.Authorization',
  'headers.authorization', 'headers["x-amz-security-token"]', '*.headers.authorization',
];

/** Maps the reference's level names (DEBUG, INFO, WARNING, ERROR) and pino's onto pino's. */
export function normaliseLevel(level: string): LevelWithSilent | null {
  const l = level.trim().toLowerCase();
  if (l === 'warning') return 'warn';
  if ((LOG_LEVELS as readonly string[]).includes(l)) return l as LevelWithSilent;
  return null;
}

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where lines go; default stdout. Tests pass a capturing stream. */
  destination?: DestinationStream;
  /** Force or suppress the human format; default: stdout is a TTY. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const base = {
    level: options.level ?? 'info',
    base: { pid: process.pid },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (pretty) {
    return pino(base, new PrettyStream());
  }
  return pino(base, options.destination ?? pino.destination({ dest: 1, sync: true }));
}

/** A dependency-free TTY formatter: `HH:MM:SS LEVEL msg key=value …`. */
class PrettyStream implements DestinationStream {
  write(line: string): void {
    try {
      const rec = JSON.parse(line) as Record<string, unknown>;
      const { time, level, msg, pid: _pid, ...rest } = rec;
      const t = typeof time === 'string' ? time.slice(11, 19) : '';
      const extras = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v)}`)
        .join(' ');
      process.stdout.write(`${t} ${String(level).toUpperCase().padEnd(5)} ${String(msg ?? '')}${extras ? ' ' + extras : ''}\n`);
    } catch {
      process.stdout.write(line);
    }
  }
}

/** A logger that discards everything, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
