/**
 * The command line: `run` (default), `check-config` (alias: the reference's `--test-config`
 * flag), `status`, `upload-now`. Parses arguments with commander and dispatches; each command
 * returns its exit code. Usage errors exit 2 with commander's one-line message.
 *
 * Each command's module is imported when that command runs, not before: `--help` and
 * `check-config` must not pay for the AWS SDK, RxJS, piscina and prom-client that `run` needs
 * (measured: `--help` 93 → 46 MiB and 0.63 → 0.10 CPU-s; docs/PERFORMANCE.md, "Memory and
 * start-up changes").
 */
import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '../version.js';
import { EXIT_CONFIG, EXIT_OK } from './exit-codes.js';
import type { CliIo } from './io.js';
import { loadModule } from '../lazy-module.js';

/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS branch of loadModule (lazy-module.ts) */
const load = {
  checkConfig: () => loadModule(() => require('./check-config.js'), () => import('./check-config.js')),
  run: () => loadModule(() => require('./run.js'), () => import('./run.js')),
  status: () => loadModule(() => require('./status.js'), () => import('./status.js')),
  uploadNow: () => loadModule(() => require('./upload-now.js'), () => import('./upload-now.js')),
  doctor: () => loadModule(() => require('./doctor.js'), () => import('./doctor.js')),
  cleanup: () => loadModule(() => require('./cleanup.js'), () => import('./cleanup.js')),
  mark: () => loadModule(() => require('./mark.js'), () => import('./mark.js')),
};
/* eslint-enable @typescript-eslint/no-require-imports */

export const DEFAULT_CONFIG = '/etc/tvm-upload/config.yaml';

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code = EXIT_OK;
  const configOption = (): Option =>
    // The environment comes from io (not commander's .env(), which reads process.env) so
    // commands are testable in-process.
    new Option('-c, --config <path>', 'configuration file (env: TVM_UPLOAD_CONFIG)').default(io.env.TVM_UPLOAD_CONFIG ?? DEFAULT_CONFIG);
  const program = new Command('tvm-upload')
    .description('Uploads vehicle log files to S3: watch, stabilize, compress, upload, never lose a log.')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run tvm-upload --help for usage)');

  program
    .command('run', { isDefault: true })
    .description('run the daemon in the foreground (the default command)')
    .addOption(configOption())
    .option('--log-level <level>', 'DEBUG, INFO, WARNING or ERROR', undefined)
    .option('--test-config', 'validate the configuration and exit (same as check-config)')
    .action(async (opts: { config: string; logLevel?: string; testConfig?: boolean }) => {
      code = opts.testConfig
        ? await (await load.checkConfig()).checkConfigCommand(io, { config: opts.config })
        : await (await load.run()).runCommand(io, { config: opts.config, ...(opts.logLevel ? { logLevel: opts.logLevel } : {}) });
    });

  program
    .command('check-config')
    .description('validate the configuration and print what it resolves to')
    .addOption(configOption())
    .option('--probe', 'also check that the bucket is reachable with the configured credentials')
    .action(async (opts: { config: string; probe?: boolean }) => {
      code = await (await load.checkConfig()).checkConfigCommand(io, opts);
    });

  program
    .command('status')
    .description('show the durable queue: queued, in flight, uploaded, failing files')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action(async (opts: { config: string; json?: boolean }) => {
      code = await (await load.status()).statusCommand(io, opts);
    });

  program
    .command('upload-now')
    .description('upload everything eligible now: by the running daemon (waiting for it), or in this process when none runs')
    .addOption(configOption())
    .option('--dry-run', 'list what would be uploaded, with target keys and sizes; upload nothing')
    .option('--json', 'print one summary object')
    .option('--no-wait', 'with a daemon running: only ask it for a pass, do not wait for the result')
    .action(async (opts: { config: string; dryRun?: boolean; json?: boolean; wait?: boolean }) => {
      code = await (await load.uploadNow()).uploadNowCommand(io, opts);
    });

  program
    .command('doctor')
    .description('check a deployment against its real target: credentials, bucket, checksums, CloudWatch, directories, disk, clock')
    .addOption(configOption())
    .option('--json', 'machine-readable output')
    .action(async (opts: { config: string; json?: boolean }) => {
      code = await (await load.doctor()).doctorCommand(io, opts);
    });

  program
    .command('cleanup')
    .description('run the deletion policies now; print each file deleted, its policy and reason, and free space before and after')
    .addOption(configOption())
    .option('--dry-run', 'change nothing: print what would be deleted')
    .option('--json', 'machine-readable output')
    .option('--no-wait', 'with a daemon running: only ask it for a pass, do not wait for the result')
    .option('--timeout <seconds>', 'with a daemon running: how long to wait for its pass (default: 300)')
    .action(async (opts: { config: string; dryRun?: boolean; json?: boolean; wait: boolean; timeout?: string }) => {
      code = await (await load.cleanup()).cleanupCommand(io, opts);
    });

  program
    .command('mark')
    .description('incident marker: upload every file written around now (all directories) as high priority')
    .addOption(configOption())
    .option('--reason <text>', 'why (kept in the state store and as S3 metadata on the raised files)')
    .option('--before <duration>', 'how far back the window reaches (e.g. 90s, 10m, 2h)', '10m')
    .option('--after <duration>', 'how far ahead the window reaches', '5m')
    .action(async (opts: { config: string; reason?: string; before: string; after: string }) => {
      code = await (await load.mark()).markCommand(io, opts);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT_OK;
      return EXIT_CONFIG;
    }
    throw err;
  }
  return code;
}
