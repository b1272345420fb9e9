/**
 * `tvm-upload check-config` (and the reference's `--test-config`): load and validate the
 * configuration, print a readable summary and whether the Node runtime is supported, optionally probe the bucket with the configured
 * credentials. Exit 0 when usable, 2 with every problem listed otherwise, 1 when the probe fails.
 */
import { loadConfig } from '../config/load.js';
import { summarizeConfig } from '../config/summary.js';
import { currentNodeSupport, runtimeLine } from '../runtime/node-support.js';
import { EXIT_OK, EXIT_RUNTIME } from './exit-codes.js';
import { reportError, type CliIo } from './io.js';
import { loadModule } from '../lazy-module.js';

export async function checkConfigCommand(io: CliIo, opts: { config: string; probe?: boolean }): Promise<number> {
  try {
    const config = loadConfig(opts.config, { env: io.env });
    io.out(`configuration OK: ${config.sourceFile ?? opts.config}`);
    io.out(summarizeConfig(config));
    // Printed, not an error: an old runtime still uploads, but the operator must hear about it.
    io.out(runtimeLine(currentNodeSupport()));
    if (!opts.probe) return EXIT_OK;
    // Loaded only for the probe: validating a file must not pay for the AWS SDK.
    /* eslint-disable @typescript-eslint/no-require-imports -- CommonJS branch of loadModule (lazy-module.ts) */
    const { createS3Client } = await loadModule(() => require('../sinks/s3/client.js'), () => import('../sinks/s3/client.js'));
    const { probeBucket } = await loadModule(() => require('../sinks/s3/healthcheck.js'), () => import('../sinks/s3/healthcheck.js'));
    /* eslint-enable @typescript-eslint/no-require-imports */
    const { client } = createS3Client(config.s3, io.env);
    try {
      const r = await probeBucket(client, config.s3.bucket, { prefix: `${config.vehicleId}/` });
      if (r.ok) {
        io.out(`bucket probe OK: s3://${config.s3.bucket} is reachable with the configured credentials`);
        return EXIT_OK;
      }
      io.err(`tvm-upload: bucket probe failed: ${r.error.message}${r.error.hint ? `\n  hint: ${r.error.hint}` : ''}`);
      return EXIT_RUNTIME;
    } finally {
      client.destroy();
    }
  } catch (err) {
    return reportError(io, err);
  }
}
