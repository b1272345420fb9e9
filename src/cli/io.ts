/**
 * How commands talk to the terminal and turn errors into exit codes. User errors print one
 * clear block (never a stack trace); only unexpected errors print a stack, for a bug report.
 * Injectable streams so tests can run commands in-process.
 */
import { ConfigError, ErrorCodes, isTvmError } from '../errors.js';
import { EXIT_CONFIG, EXIT_RUNTIME } from './exit-codes.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export const processIo: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  env: process.env,
};

/** Prints `err` for a user and returns the exit code it deserves. */
export function reportError(io: CliIo, err: unknown): number {
  if (err instanceof ConfigError) {
    io.err(`tvm-upload: ${err.message}`);
    return EXIT_CONFIG;
  }
  if (isTvmError(err)) {
    io.err(`tvm-upload: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`);
    return err.code === ErrorCodes.USAGE || err.code === ErrorCodes.CONFIG_INVALID ? EXIT_CONFIG : EXIT_RUNTIME;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  io.err(`tvm-upload: unexpected error (please report it): ${e.stack ?? e.message}`);
  return EXIT_RUNTIME;
}
