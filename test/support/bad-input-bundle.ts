/**
 * The CLI compiled once into a single ESM file, for suites that start it a hundred times.
 * Through tsx every child pays for transforming and resolving each source module through loader
 * hooks (≈1.5 s of CPU on the 2-core CI machines); the bundle of the same src/ tree costs about
 * half. Only src/ is bundled: dependencies stay external and resolve through a node_modules link
 * next to the bundle, so they are the very packages the daemon uses. esbuild is what tsx itself
 * compiles with (it comes with tsx).
 *
 * Limits, fine for config-rejection tests: the bundle's import.meta.url is the temp file, so
 * `--version` reads 0.0.0 and the worker-thread path would not resolve (no daemon gets that far).
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BundledCli {
  /** Node arguments that run the CLI (prefix of the command's own arguments). */
  args(cliArgs: readonly string[]): string[];
  dispose(): void;
}

export async function bundleCli(): Promise<BundledCli> {
  const dir = mkdtempSync(join(tmpdir(), 'tvm-cli-bundle-'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const outfile = join(dir, 'main.mjs');
  await build({
    entryPoints: [join(ROOT, 'src/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'error',
  });
  return {
    args: (cliArgs) => [outfile, ...cliArgs],
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
