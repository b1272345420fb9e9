/** Process entry: arguments in, exit code out. No logic of its own. */
// First, before any other module loads: listeners for every signal the daemon answers to (a
// SIGUSR1 must never open the inspector, a SIGHUP never kill the process). See src/signals.ts.
import './early-signals.js';
import { runCli } from './cli/program.js';
import { handleBrokenPipe } from './cli/broken-pipe.js';
import { processIo, reportError } from './cli/io.js';
import { installProcessGuards } from './process-guards.js';

installProcessGuards();
const argv = process.argv.slice(2);
handleBrokenPipe(process.stdout, { daemon: argv[0] === 'run', exit: () => process.exit(Number(process.exitCode ?? 0)) });

runCli(argv, processIo).then(
  (code) => {
    process.exitCode = code;
    // Give stdout a moment to flush, then leave even if a stray handle (SDK sockets) lingers.
    setTimeout(() => process.exit(code), 50).unref();
  },
  (err: unknown) => {
    process.exit(reportError(processIo, err));
  },
);
