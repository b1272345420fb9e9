/**
 * Loads one of our own modules when it is first needed instead of at start-up, so a command
 * pays only for what it uses (`--help` and `check-config` never load the AWS SDK; `run` without
 * CloudWatch never loads its client). It does not cache or retry: the module system does both.
 *
 * Why not a bare `import()`: the test runner runs the sources as CommonJS (mocha + tsx), where
 * `import()` goes through the ES module loader and evaluates a *second* copy of the module next to
 * the one the tests imported, with its own module state (the lock's "held here" set) and a
 * second, unexercised entry in the coverage report. Where `require` exists (CommonJS) it is
 * used, so one copy is shared; the installed package is an ES module and takes `import()`.
 */
import { fileURLToPath } from 'node:url';

export async function loadModule<T>(url: URL): Promise<T> {
  if (typeof require === 'function') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports, security/detect-non-literal-require -- CommonJS only (see above); the URL is always one of our own modules
    return require(fileURLToPath(url)) as T;
  }
  /* c8 ignore next -- the ES module path: the installed package and the bin, not the test runner */
  return (await import(url.href)) as T;
}
