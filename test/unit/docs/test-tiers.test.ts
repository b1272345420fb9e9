// The tiers stay honest and in one place: each tier has one mocha config (.mocharc.<tier>.json)
// that npm scripts and make targets use, the all-tiers .mocharc.json (what `npm test` runs under
// c8) covers exactly their union with the same options, every test file belongs to exactly one
// tier, and the reporter counts tests per tier from the same definition.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const require = createRequire(import.meta.url);
const { TIERS, TARGET, tierOf } = require('../../support/tiers.cjs') as {
  TIERS: Record<string, string[]>;
  TARGET: Record<string, number>;
  tierOf: (file: string) => { tier: string; suite: string } | null;
};
const { TierCounter } = require('../../support/summary-reporter.cjs') as {
  TierCounter: new () => { count(r: { file: string; type: string; duration?: number }, kind: string): void; tiers: Record<string, { tests: number; failures: number; ms: number; suites: Record<string, number> }>; ratio(): Record<string, number>; lines(): string[] };
};

interface MochaRc {
  spec: string[];
  'node-option': string[];
  timeout: number;
  reporter: string;
  exit: boolean;
}
const rc = (name: string): MochaRc => JSON.parse(fs.readFileSync(path.join(ROOT, name), 'utf8')) as MochaRc;
const tiers = Object.keys(TIERS);

function testFiles(dir: string): string[] {
  return (fs.readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.test.ts')).map((f) => path.join(dir, f));
}

describe('test tiers', () => {
  it('has one mocha config per tier whose spec is exactly that tier\'s folders', () => {
    for (const tier of tiers) {
      expect(rc(`.mocharc.${tier}.json`).spec, tier).to.deep.equal(TIERS[tier]!.map((f) => `${f}**/*.test.ts`));
    }
  });

  it('runs every tier but e2e under the all-tiers config of npm test, with the same options', () => {
    const all = rc('.mocharc.json');
    expect([...all.spec].sort()).to.deep.equal(tiers.filter((t) => t !== 'e2e').flatMap((t) => rc(`.mocharc.${t}.json`).spec).sort());
    for (const tier of tiers) {
      const c = rc(`.mocharc.${tier}.json`);
      expect({ node: c['node-option'], reporter: c.reporter, exit: c.exit }, tier).to.deep.equal({ node: all['node-option'], reporter: all.reporter, exit: all.exit });
      if (tier !== 'e2e') expect(c.timeout, `${tier} timeout`).to.equal(all.timeout);
    }
  });

  it('is what the npm scripts and make targets run', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['test:unit']).to.equal('mocha --config .mocharc.unit.json');
    expect(scripts['test:integration']).to.equal('mocha --config .mocharc.integration.json');
    expect(scripts['test:e2e']).to.equal('mocha --config .mocharc.e2e.json');
    expect(scripts.test).to.match(/^c8 mocha( |$)/);
    const make = fs.readFileSync(path.join(ROOT, 'Makefile'), 'utf8');
    for (const [target, script] of [['test-quick', 'test:unit'], ['test-integration', 'test:integration'], ['test-e2e', 'test:e2e']]) {
      expect(make, target).to.match(new RegExp(`^${target}:.*\\n\\tnpm run ${script}$`, 'm'));
    }
  });

  it('puts every test file in exactly one tier', () => {
    const files = ['test/unit', 'test/integration', 'test/chaos', 'test/crash', 'test/bad-input', 'test/e2e'].flatMap(testFiles);
    expect(files.length).to.be.greaterThan(50);
    const outside = (fs.readdirSync(path.join(ROOT, 'test')) as string[]).filter((d) => !['unit', 'integration', 'chaos', 'crash', 'bad-input', 'e2e', 'support', 'fixtures'].includes(d));
    expect(outside, 'a test folder no tier names').to.deep.equal([]);
    for (const f of files) expect(tierOf(f), f).not.to.equal(null);
  });

  it('keeps loopback servers, the real daemon and the fault proxy out of the unit tier', () => {
    const markers = /support\/(s3-servers|fault-proxy|daemon-process|chaos-daemon|bad-input-daemon)\.js|src\/daemon\.js/;
    const offenders = testFiles('test/unit').filter((f) => markers.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    expect(offenders).to.deep.equal([]);
  });

  it('targets the pyramid of the testing strategy', () => {
    expect(TARGET).to.deep.equal({ unit: 70, integration: 20, e2e: 10 });
  });

  describe('the reporter\'s tier counter', () => {
    it('finds the tier and suite of absolute and relative paths', () => {
      expect(tierOf('/work/x/test/unit/a/b.test.ts')).to.deep.equal({ tier: 'unit', suite: 'unit' });
      expect(tierOf('test/chaos/s3.test.ts')).to.deep.equal({ tier: 'integration', suite: 'chaos' });
      expect(tierOf('/r/test/e2e/aws.test.ts')).to.deep.equal({ tier: 'e2e', suite: 'e2e' });
      expect(tierOf('/r/perf/test/x.test.ts')).to.equal(null);
      expect(tierOf(undefined as unknown as string)).to.equal(null);
    });

    it('counts tests per tier and suite, adds hook time, and prints the ratio against the target', () => {
      const c = new TierCounter();
      for (let i = 0; i < 7; i++) c.count({ file: '/r/test/unit/x.test.ts', type: 'test', duration: 100 }, 'passes');
      c.count({ file: '/r/test/unit/x.test.ts', type: 'hook', duration: 300 }, 'hook');
      c.count({ file: '/r/test/integration/y.test.ts', type: 'test', duration: 5 }, 'failures');
      c.count({ file: '/r/test/crash/z.test.ts', type: 'test' }, 'pending');
      c.count({ file: '/r/test/crash/z.test.ts', type: 'hook', duration: 1 }, 'failures');
      c.count({ file: '/r/perf/w.test.ts', type: 'test', duration: 9 }, 'passes');
      expect(c.tiers.unit).to.deep.include({ tests: 7, ms: 1000 });
      expect(c.tiers.integration).to.deep.include({ tests: 2, failures: 2, suites: { integration: 1, crash: 1 } });
      expect(c.ratio()).to.deep.equal({ unit: 77.8, integration: 22.2, e2e: 0 });
      expect(c.lines()).to.deep.equal([
        'tiers: unit 7 · integration 2 · e2e 0 = 77.8 / 22.2 / 0.0 % (target 70 / 20 / 10)',
        '  integration: integration 1, crash 1',
        '  e2e: none ran in this run',
        'unit tier: 7 tests, 1.0 s in tests and hooks',
      ]);
    });

    it('reports a run without tests as all zero', () => {
      expect(new TierCounter().ratio()).to.deep.equal({ unit: 0, integration: 0, e2e: 0 });
    });
  });
});
