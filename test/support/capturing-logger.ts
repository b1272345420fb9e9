/** A real pino logger at debug level whose JSON lines tests read back as objects. */
import { createLogger, type Logger } from '../../src/telemetry/logger.js';

export interface CapturedLogger {
  readonly logger: Logger;
  readonly lines: Array<Record<string, unknown>>;
  /** The lines whose message matches `re`. */
  matching(re: RegExp): Array<Record<string, unknown>>;
}

export function capturingLogger(): CapturedLogger {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({
    level: 'debug',
    pretty: false,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { logger, lines, matching: (re) => lines.filter((l) => re.test(String(l.msg))) };
}
