/**
 * The layering of src/, checked by dependency-cruiser in `npm run lint` (and so in CI). Each rule is
 * one the design already follows (docs/ARCHITECTURE.md); the check keeps it true as the code grows.
 * Only import edges inside src/ are judged; tests, perf/ and bin/ may reach anywhere.
 *
 * A known violation is written as a `pathNot` on the rule with a comment naming the issue that
 * removes it, so lint stays green today and the rule still bites for any new import.
 */

/** Worker files that run on the main thread (the pool facade and the spool bookkeeping). */
const WORKER_MAIN_SIDE = '^src/workers/(pool|pool-errors|spool-budget|spool-dir|codec-version)[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules form a directed graph: a cycle means two ideas that cannot be understood (or loaded) apart.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'worker-thread-imports-protocol-and-errors',
      severity: 'error',
      comment:
        'Code that runs inside a compression worker thread imports only other worker files, src/errors.ts and ' +
        'config/types.ts (types only, erased): a worker is started fresh in its own thread, and anything more ' +
        'would load daemon modules (state, sinks, telemetry) into every worker.',
      from: { path: '^src/workers/', pathNot: WORKER_MAIN_SIDE },
      to: { path: '^src/', pathNot: '^src/(workers/|errors[.]ts$|config/types[.]ts$)' },
    },
    {
      name: 'workers-know-no-pipeline',
      severity: 'error',
      comment:
        'The main-thread side of src/workers (pool, spool budget) may add the logger, health and disk usage, ' +
        'nothing of the pipeline, sinks, state or CLI: the pool is a component the daemon plugs in.',
      from: { path: WORKER_MAIN_SIDE },
      to: {
        path: '^src/',
        pathNot: '^src/(workers/|errors[.]ts$|config/types[.]ts$|telemetry/(logger|health)[.]ts$|disk/usage[.]ts$)',
      },
    },
    {
      name: 'workers-use-config-types-only',
      severity: 'error',
      comment: 'config/types.ts reaches into priority/ and link/; a worker may use its types, never load it.',
      from: { path: '^src/workers/' },
      to: { path: '^src/config/types[.]ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'state-imports-no-pipeline-or-sinks',
      severity: 'error',
      comment: 'src/state stores rows; the stages and sinks use it through its repositories, never the other way.',
      from: { path: '^src/state/' },
      to: { path: '^src/(pipeline|sinks)/' },
    },
    {
      name: 'sinks-import-no-pipeline',
      severity: 'error',
      comment: 'A sink is driven by the pipeline and knows nothing of it (timers come from src/clock/).',
      from: { path: '^src/sinks/' },
      to: { path: '^src/pipeline/' },
    },
    {
      name: 'cli-opens-state-through-src-state',
      severity: 'error',
      comment: 'Commands open the state database through src/state (StateReader, StateStore), which owns its file name, schema and locking.',
      from: { path: '^src/cli/' },
      to: { path: '^better-sqlite3$|node_modules/better-sqlite3/' },
    },
    {
      name: 'only-cli-composes-the-daemon',
      severity: 'error',
      comment: 'daemon.ts is the composition root; only the commands that run it (src/cli/) build one.',
      from: { path: '^src/', pathNot: '^src/(cli/|main[.]ts$)' },
      to: { path: '^src/daemon[.]ts$' },
    },
    {
      name: 'only-main-enters-the-cli',
      severity: 'error',
      comment: 'The CLI sits on top: components never call back into a command.',
      from: { path: '^src/', pathNot: '^src/(cli/|main[.]ts$)' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
