/**
 * What CLI tests share: an in-memory CliIo that records output. Their configs come from
 * daemon-config.ts (heldConfigYaml for uploads that wait for `upload-now`).
 */
import type { CliIo } from '../../src/cli/io.js';

export function captureIo(env: NodeJS.ProcessEnv = {}): { cli: CliIo; out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env };
  return { cli, out: () => out.join('\n'), err: () => err.join('\n') };
}
