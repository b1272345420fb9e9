/**
 * Loads one of our own modules when it is first needed instead of at start-up, so a command
 * pays only for what it uses (`--help` and `check-config` never load the AWS SDK). It does not
 * cache or retry: the module system does both.
 *
 * The caller passes two loaders written with the module's literal path, `() => require('./x.js')`
 * and `() => import('./x.js')`: literal, so a bundler (esbuild, used by the bad-input tests)
 * follows them into the bundle, and relative to the caller. Which one runs:
 * - the installed package and the bin are ES modules, where `require` does not exist: `import()`;
 * - the test runner runs the sources as CommonJS (mocha + tsx), where `import()` would go through
 *   the ES module loader and evaluate a *second* copy of the module beside the one the tests
 *   imported, with its own module state (the lock's "held here" set) and a second, unexercised
 *   entry in the coverage report: `require`, so one copy is shared;
 * - an esbuild bundle defines `require` and resolves the literal path inside the bundle.
 */
export async function loadModule<T>(viaRequire: () => unknown, viaImport: () => Promise<T>): Promise<T> {
  if (typeof require === 'function') return viaRequire() as T;
  /* c8 ignore next -- the ES module path: the installed package and the bin, not the test runner */
  return viaImport();
}
