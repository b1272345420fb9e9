// Mutation testing is wired the way docs/TESTING.md says: Stryker mutates the core folders against
// the unit tier's own mocha config with tsx registered, incrementally, one folder per incremental
// file, and the score the runner prints is Stryker's arithmetic.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { PartialStrykerOptions } from '@stryker-mutator/api/core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);
type Counts = Record<string, number>;
const { tally, score } = require('../../support/mutation-score.cjs') as {
  tally: (report: unknown) => Counts;
  score: (counts: Counts) => { detected: number; valid: number; percent: number };
};
const CORE = ['pipeline', 'state', 'sinks', 'workers', 'schedule', 'deletion'];
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

describe('mutation testing set-up', () => {
  let config: PartialStrykerOptions;
  before(async () => {
    // The config is plain JavaScript (Stryker reads it); it is not a module under coverage.
    config = ((await import(path.join(ROOT, 'stryker.config.mjs'))) as { default: PartialStrykerOptions }).default;
  });

  it('mutates every core folder against the unit tier with tsx registered in the runner processes', () => {
    expect(config.mutate).to.deep.equal(CORE.map((f) => `src/${f}/**/*.ts`));
    for (const f of CORE) expect(fs.existsSync(path.join(ROOT, 'src', f)), f).to.equal(true);
    expect(config).to.deep.include({ testRunner: 'mocha', checkers: ['typescript'], incremental: true });
    expect(config.mochaOptions).to.deep.include({ config: '.mocharc.unit.json' });
    // The unit tier's spec, plus named integration files that are the only tests of a core file.
    const unitSpec = (JSON.parse(read('.mocharc.unit.json')) as { spec: string[] }).spec;
    const spec = (config.mochaOptions as { spec?: string[] } | undefined)?.spec ?? [];
    expect(spec.slice(0, unitSpec.length)).to.deep.equal(unitSpec);
    for (const extra of spec.slice(unitSpec.length)) expect(fs.existsSync(path.join(ROOT, extra)), extra).to.equal(true);
    expect(config.testRunnerNodeArgs).to.deep.equal(['--import', 'tsx']);
  });

  it('runs through npm run test:mutation and make test-mutation, one folder per incremental file', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['test:mutation']).to.equal('bash test/support/mutation.sh');
    expect(read('Makefile')).to.match(/^test-mutation:.*\n\tnpm run test:mutation -- \$\(FOLDERS\)$/m);
    const runner = read('test/support/mutation.sh');
    expect(runner).to.include('ALL_FOLDERS=(schedule deletion state pipeline sinks workers)');
    expect(runner).to.include('--incrementalFile "reports/mutation/$folder.incremental.json"');
    for (const f of CORE) expect(runner, f).to.match(new RegExp(`ALL_FOLDERS=\\(.*\\b${f}\\b`));
  });

  it('has a weekly and manual workflow on Node 24', () => {
    const wf = read('.github/workflows/mutation.yml');
    expect(wf).to.match(/schedule:\n\s+- cron: /);
    expect(wf).to.include('workflow_dispatch:');
    expect(wf).to.include("node-version: '24'");
    expect(wf).to.include('npm run test:mutation');
  });

  describe('the score', () => {
    const mutants = (...statuses: string[]) => statuses.map((status, i) => ({ id: String(i), status }));

    it('counts detected mutants (killed and timed out) over valid ones, leaving compile errors and ignored ones out', () => {
      const counts = tally({
        files: {
          'src/a.ts': { mutants: mutants('Killed', 'Killed', 'Timeout', 'Survived', 'CompileError') },
          'src/b.ts': { mutants: mutants('NoCoverage', 'Ignored', 'Killed') },
        },
      });
      expect(counts).to.deep.include({ Killed: 3, Timeout: 1, Survived: 1, NoCoverage: 1, CompileError: 1, Ignored: 1 });
      expect(score(counts)).to.deep.equal({ detected: 4, valid: 6, percent: (100 * 4) / 6 });
    });

    it('scores a folder without valid mutants as 100 %', () => {
      expect(score(tally({ files: { 'src/a.ts': { mutants: mutants('CompileError') } } })).percent).to.equal(100);
      expect(score(tally({})).valid).to.equal(0);
    });
  });
});
