/** Scratch directories for tests: a fresh one under the OS temp dir, and its removal with everything in it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A new empty directory `<os tmp>/<prefix>XXXXXX`; the prefix names the test in a leftover. */
export function tempDir(prefix = 'tvm-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Removes `dir` and its contents; nothing happens when it is already gone. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
