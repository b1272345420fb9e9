/**
 * The command line of `npm run perf` (see perf/run.ts for the options), parsed into a plain
 * object; unknown options and suites are errors naming the known ones.
 */

export interface RunArgs {
  suites: string[];
  quick: boolean;
  compare: boolean;
  variants: boolean;
  runtime: 'dist' | 'tsx';
  out: string;
  /** Extra node flags for every daemon run (diagnostics: --cpu-prof, --max-semi-space-size=…). */
  nodeFlags: string[];
}

/** `defaults`: the suites run when none is named (default: every known one). */
export function parseRunArgs(argv: readonly string[], known: readonly string[], defaultOut: string, defaults: readonly string[] = known): RunArgs {
  const a: RunArgs = { suites: [], quick: false, compare: true, variants: true, runtime: 'dist', out: defaultOut, nodeFlags: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--suite') a.suites.push(...value().split(',').filter((s) => s !== ''));
    else if (arg === '--quick') a.quick = true;
    else if (arg === '--no-compare') a.compare = false;
    else if (arg === '--primary-only') a.variants = false;
    else if (arg === '--runtime') {
      const r = value();
      if (r !== 'dist' && r !== 'tsx') throw new Error(`--runtime must be dist or tsx, got ${r}`);
      a.runtime = r;
    } else if (arg === '--out') a.out = value();
    else if (arg === '--node-flag') a.nodeFlags.push(value());
    else throw new Error(`unknown option ${arg} (see perf/run.ts for usage)`);
  }
  for (const s of a.suites) if (!known.includes(s)) throw new Error(`unknown suite "${s}"; known: ${known.join(', ')}`);
  if (a.suites.length === 0) a.suites = [...defaults];
  return a;
}
