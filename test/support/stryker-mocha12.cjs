// Loaded with `--require` into Stryker's processes by test/support/mutation.sh. Stryker's mocha
// runner (10.1.1) requires mocha's CLI internals without an extension
// (`mocha/lib/cli/run-helpers`, `.../options`), and mocha 12.0.x ships them as `.cjs`, so the
// plugin fails to load ("no TestRunner plugins were loaded"). Upstream fix pending:
// stryker-mutator/stryker-js#6205. Until it ships, an extensionless request for a file in
// mocha's lib/cli that is not found is retried with `.cjs`; nothing else is touched. Delete
// this file (and its line in mutation.sh) once the runner resolves them itself.
'use strict';
const Module = require('node:module');

const resolve = Module._resolveFilename;
const MOCHA_CLI = /[\\/]mocha[\\/]lib[\\/]cli[\\/][\w-]+$/;

Module._resolveFilename = function resolveMochaCli(request, ...rest) {
  try {
    return resolve.call(this, request, ...rest);
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND' && MOCHA_CLI.test(request)) return resolve.call(this, `${request}.cjs`, ...rest);
    throw error;
  }
};
