/**
 * How the perf suites run the daemon. By default it is compiled once per perf run with the
 * project's build configuration into a private temporary directory (never the shared dist/,
 * which other people build too) and run as plain JavaScript, the way an installed package runs:
 * under tsx every module would be transpiled at start-up, which inflates start-up CPU and the
 * memory high-water mark with work production never does. `--runtime tsx` runs the sources.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliArgs } from '../../test/support/daemon-process.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface Runtime {
  readonly kind: 'dist' | 'tsx';
  /** Node arguments (after any preloads) that run the CLI with `args`. */
  args(args: readonly string[]): string[];
  /** Removes the compiled copy. */
  dispose(): void;
}

const tsxRuntime: Runtime = { kind: 'tsx', args: (a) => cliArgs(a), dispose: () => undefined };

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Compiles src/ with tsconfig.build.json into a temp directory that looks like an installed
 * package (package.json beside dist/, node_modules linked). Type errors in files other people
 * are editing do not stop tsc from emitting; a missing dist/main.js does, and then the suites
 * fall back to tsx with a note.
 */
export async function prepareRuntime(kind: 'dist' | 'tsx', log: (s: string) => void): Promise<{ runtime: Runtime; note: string | null }> {
  if (kind === 'tsx') return { runtime: tsxRuntime, note: null };
  const root = mkdtempSync(join(tmpdir(), 'tvm-perf-build-'));
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  log('compiling the daemon (tsc -p tsconfig.build.json) into a private directory');
  const r = await run(process.execPath, [tsc, '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(root, 'dist'), '--sourceMap', 'false'], REPO);
  const main = join(root, 'dist', 'main.js');
  if (!existsSync(main)) {
    rmSync(root, { recursive: true, force: true });
    const why = r.output.trim().split('\n').slice(0, 5).join(' | ');
    return { runtime: tsxRuntime, note: `compiling failed (${why}); ran the sources under tsx instead` };
  }
  copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  const note = r.code === 0 ? null : `tsc reported type errors (files being edited?) but emitted JavaScript: ${r.output.trim().split('\n')[0] ?? ''}`;
  return {
    runtime: {
      kind: 'dist',
      args: (a) => [main, ...a],
      dispose: () => rmSync(root, { recursive: true, force: true }),
    },
    note,
  };
}
