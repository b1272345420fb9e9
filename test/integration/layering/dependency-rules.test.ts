/**
 * The layering rules in .dependency-cruiser.cjs bite: depcruise, run with the project's config on a
 * small tree that breaks each rule once (and also makes the imports the rules allow), exits non-zero
 * and names every rule, and no allowed import. `npm run lint` checks the real src/ with the same config.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { expect } from 'chai';
import { removeDir, tempDir } from '../../support/temp-dir.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const RULES = (createRequire(import.meta.url)(CONFIG) as { forbidden: Array<{ name: string }> }).forbidden.map((r) => r.name);

/** Each file's imports; each comment says which rule the import breaks, or that it is allowed. */
const TREE: Record<string, string> = {
  'src/config/a.ts': "import { b } from './b.js';\nexport const a = (): number => b() + 1;\n", // no-cycles
  'src/config/b.ts': "import { a } from './a.js';\nexport const b = (): number => (a.length > 9 ? 0 : 1);\n",
  'src/config/types.ts': 'export type Codec = string;\nexport const CODECS = 1;\n',
  'src/errors.ts': 'export const E = 1;\n',
  // worker-thread-imports-protocol-and-errors; the type import and errors are allowed
  'src/workers/compress.worker.ts':
    "import type { Codec } from '../config/types.js';\nimport { E } from '../errors.js';\nimport { S } from '../state/store.js';\nexport const w: Codec = String(E + S);\n",
  'src/workers/pool.ts': "import { D } from '../pipeline/dispatcher.js';\nexport const p = D;\n", // workers-know-no-pipeline
  'src/workers/protocol.ts': "import { CODECS } from '../config/types.js';\nexport const P = CODECS;\n", // workers-use-config-types-only
  'src/state/store.ts': 'export const S = 1;\n',
  'src/state/key-repo.ts': "import { K } from '../sinks/s3/object-key.js';\nexport const R = K;\n", // state-imports-no-pipeline-or-sinks
  'src/sinks/s3/object-key.ts': "import { D } from '../../pipeline/dispatcher.js';\nexport const K = D;\n", // sinks-import-no-pipeline
  'src/sinks/transfer-watch.ts': "import { D } from '../pipeline/dispatcher.js';\nexport const T = D;\n", // sinks-import-no-pipeline (timers come from src/clock/)
  'src/sinks/cloudwatch/sink.ts': "import { I } from '../../pipeline/intake.js';\nexport const C = I;\n", // sinks-import-no-pipeline
  'src/pipeline/dispatcher.ts': "import { run } from '../cli/run.js';\nexport const D = run;\n", // only-main-enters-the-cli
  'src/pipeline/intake.ts': "import { Daemon } from '../daemon.js';\nexport const I = Daemon;\n", // only-cli-composes-the-daemon
  'src/daemon.ts': 'export class Daemon {}\n',
  'src/cli/run.ts': "import { Daemon } from '../daemon.js';\nexport const run = (): Daemon => new Daemon();\n", // allowed
  'src/cli/status.ts': "import Database from 'better-sqlite3';\nexport const db = Database;\n", // cli-opens-state-through-src-state
  'src/main.ts': "import { run } from './cli/run.js';\nrun();\n", // allowed
};

/** `error <rule>: <from> → <to>` (a cycle continues on the next lines), as the `err` reporter prints it. */
const VIOLATION = /^\s*error ([\w-]+): (\S+) →/gm;

describe('layering rules (dependency-cruiser)', () => {
  let dir: string;
  before(() => {
    dir = tempDir('tvm-layering-');
    for (const [file, text] of Object.entries(TREE)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' }, include: ['src'] }));
  });
  after(() => removeDir(dir));

  it('fails on a tree that breaks each rule, naming every rule and no allowed import', () => {
    const run = spawnSync(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'err'], { cwd: dir, encoding: 'utf8' });
    expect(run.status, run.stdout + run.stderr).to.not.equal(0);
    const violations = [...run.stdout.matchAll(VIOLATION)].map(([, rule, from]) => ({ rule, from }));
    expect([...new Set(violations.map((v) => v.rule))].sort(), run.stdout).to.deep.equal([...RULES].sort());
    for (const allowed of ['src/main.ts', 'src/cli/run.ts']) {
      expect(violations.map((v) => v.from), allowed).to.not.include(allowed);
    }
  });
});
