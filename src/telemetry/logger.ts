/**
 * The daemon's logger: pino JSON lines on stdout (journald-friendly), pretty single lines when
 * stdout is a TTY. Credentials are redacted by key name wherever they appear in structured
 * fields, at any depth, in any spelling (accessKeyId, SecretAccessKey, AWS_SESSION_TOKEN,
 * x-amz-security-token …), including inside errors; child-logger bindings top level and one
 * level down. Messages never interpolate credential values in the first place.
 */
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Field names whose values are secrets, compared lower-cased with '-' and '_' removed, so one
 * entry covers the SDK's camelCase, STS's PascalCase, environment and shared-file spellings and
 * HTTP header names. pino's `redact` paths have a fixed depth and exact spelling, which is why
 * this walks the whole object instead.
 */
const SECRET_KEYS = new Set([
  'accesskeyid', 'secretaccesskey', 'sessiontoken', 'securitytoken', 'credentials', 'authorization',
  'proxyauthorization', 'awsaccesskeyid', 'awssecretaccesskey', 'awssessiontoken', 'awssecuritytoken',
  'xamzsecuritytoken', 'cookie', 'password',
]);
const CENSOR = '[redacted]';
const MAX_DEPTH = 12;

/**
 * Child-logger bindings never pass through formatters.log (pino replaces the bindings formatter
 * of children), so they keep pino's path redaction: top level and one level down.
 */
const REDACT = [
  'accessKeyId', 'secretAccessKey', 'sessionToken', 'credentials', 'authorization', 'Authorization',
  '*.accessKeyId', '*.secretAccessKey', '*.sessionToken', '*.credentials', '*.authorization', '*.Authorization',
  'headers.authorization', 'headers["x-amz-security-token"]', '*.headers.authorization',
];

const isSecretKey = (key: string): boolean => SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));

/**
 * A copy of `value` with every secret-named field replaced by "[redacted]", at any depth. Errors
 * (anywhere, not only under `err`) are serialized first with pino's error serializer, so their
 * enumerable properties ($metadata, details, a stray `credentials`) are scrubbed too. Values with
 * toJSON (Date, Buffer) are left to JSON.stringify.
 */
export function scrubSecrets(value: unknown, depth = 0, ancestors: Set<object> = new Set()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (ancestors.has(value)) return '[circular]';
  const obj: object = value instanceof Error ? (pino.stdSerializers.err(value) as object) : value;
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') return obj;
  ancestors.add(value);
  try {
    if (Array.isArray(obj)) return obj.map((v) => scrubSecrets(v, depth + 1, ancestors));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = isSecretKey(k) ? CENSOR : scrubSecrets(v, depth + 1, ancestors);
    return out;
  } finally {
    ancestors.delete(value);
  }
}

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
    redact: { paths: REDACT, censor: CENSOR },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Errors are already plain, scrubbed objects when serializers run (formatters.log runs
    // first); the default err serializer would serialize them again and lose their type.
    serializers: { err: (e: unknown) => e },
    formatters: {
      level: (label: string) => ({ level: label }),
      log: (obj: Record<string, unknown>) => scrubSecrets(obj) as Record<string, unknown>,
    },
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
