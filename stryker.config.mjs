// Mutation testing of the core folders against the unit tier (docs/TESTING.md, "Mutation testing").
// Run it through `npm run test:mutation` (test/support/mutation.sh): that runs one folder at a time,
// each with its own incremental file under reports/mutation/, and switches to Node 24 when the
// machine's Node is older than Stryker 10 accepts.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'mocha',
  // The unit tier's own config, so the mutants face exactly the tests `npm run test:unit` runs.
  // Two files are left out, both about things outside the mutated folders, so no mutant loses a
  // test it needs: under Stryker's runner (Node 24, mocha 12, tsx) the test files run in sloppy
  // mode, so config/load's check that writing to the frozen configuration throws a TypeError
  // fails although the object is frozen (the file passes under `mocha` on Node 24); and Stryker's
  // sandbox copies files without their mode, so docs/systemd-unit's "bin/tvm-upload.js is
  // executable" fails there.
  //
  // Two integration files join them, in-process and quick (≈ 4 s together) but in that tier for
  // what they touch: the worker pool's tests run real threads and are the only tests of
  // src/workers/pool.ts; the wire tests read the SDK's requests on a loopback HTTP server and are
  // what pins the uploader's headers and part ranges (src/sinks/s3). Without them those mutants
  // would survive untested.
  mochaOptions: {
    config: '.mocharc.unit.json',
    spec: ['test/unit/**/*.test.ts', 'test/integration/workers/pool.test.ts', 'test/integration/sinks/wire.test.ts'],
    ignore: ['test/unit/config/load.test.ts', 'test/unit/docs/systemd-unit.test.ts'],
  },
  // The runner loads mocha in-process, so the config's `node-option` never applies: tsx is
  // registered in each test-runner process instead.
  testRunnerNodeArgs: ['--import', 'tsx'],
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  mutate: [
    'src/pipeline/**/*.ts',
    'src/state/**/*.ts',
    'src/sinks/**/*.ts',
    'src/workers/**/*.ts',
    'src/schedule/**/*.ts',
    'src/deletion/**/*.ts',
  ],
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  // The machine is shared (2 cores); CI can raise it with --concurrency.
  concurrency: 1,
  // Generous: a loaded machine must not turn a slow survivor into a "timeout" kill.
  timeoutMS: 15000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress-append-only', 'html'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  clearTextReporter: { allowColor: false, logTests: false },
  ignorePatterns: ['.tmp', 'dist', 'coverage', 'var', 'perf/results', 'build', 'reports'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
