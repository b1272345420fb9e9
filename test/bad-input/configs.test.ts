/**
 * Malformed configurations through the real CLI: for every row, both `tvm-upload check-config`
 * and `tvm-upload run` as child processes must exit 2 with the problem on one line naming the key
 * (or, for a file that is not a configuration, saying what it is), and never print a stack trace
 * or start anything. Children run four at a time, from a one-off bundle of src/ (see
 * bad-input-bundle.ts: half the start-up CPU of tsx); TVM_BAD_INPUT_TSX=1 runs them through tsx.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pooled, runCli, type CliResult } from '../support/crash-cli.js';
import { cliArgs } from '../support/daemon-process.js';
import { bundleCli, type BundledCli } from '../support/bad-input-bundle.js';
import { configRows, patched, validConfig, yamlText, type ConfigRow } from '../support/bad-input-configs.js';
import { seededRandom } from '../support/seeded-random.js';

const COMMANDS = ['check-config', 'run'] as const;
const dir = mkdtempSync(join(tmpdir(), 'tvm-bad-config-'));
const rows = configRows(dir);

/** Writes row `i`'s file and returns its path. */
function materialise(row: ConfigRow, i: number): string {
  const file = join(dir, `config-${i}.yaml`);
  const valid = yamlText(validConfig(dir));
  const input = row.input;
  if ('patch' in input) {
    writeFileSync(file, yamlText(patched(validConfig(dir), input.patch)));
  } else if ('text' in input) {
    const text = input.text(valid);
    // A replacement that did not apply would leave a valid file (and `run` would start).
    if (text === valid) throw new Error(`row "${row.name}" did not change the valid configuration`);
    writeFileSync(file, text);
  } else if (input.special === 'directory') {
    mkdirSync(file);
  } else if (input.special === 'binary') {
    writeFileSync(file, seededRandom(77).fill(Buffer.alloc(4096)));
  } else if (input.special === 'huge') {
    // Valid YAML all the way, so only the size can be what is wrong.
    writeFileSync(file, valid + `# ${'x'.repeat(100)}\n`.repeat(12_000));
  }
  return file;
}

describe('malformed configurations through the real CLI', function () {
  this.timeout(300_000);
  const results = new Map<string, CliResult>();
  const files: string[] = [];
  let bundle: BundledCli | null = null;

  before(async () => {
    rows.forEach((row, i) => files.push(materialise(row, i)));
    bundle = process.env.TVM_BAD_INPUT_TSX === '1' ? null : await bundleCli();
    const nodeArgs = bundle?.args ?? cliArgs;
    const tasks = rows.flatMap((row, i) =>
      COMMANDS.map((cmd) => async () => {
        results.set(`${cmd}\0${row.name}`, await runCli([cmd, '--config', files[i]!], {}, 45_000, nodeArgs));
      }),
    );
    await pooled(tasks, 4);
  });
  after(() => {
    bundle?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`has at least 45 rows (${rows.length})`, () => {
    expect(rows.length).to.be.at.least(45);
    expect(new Set(rows.map((r) => r.name)).size, 'row names are unique').to.equal(rows.length);
  });

  for (const row of rows) {
    it(`rejects ${row.name}: exit 2, one line naming ${JSON.stringify(row.expect)}`, () => {
      for (const cmd of COMMANDS) {
        const r = results.get(`${cmd}\0${row.name}`)!;
        const what = `${cmd}: stdout ${JSON.stringify(r.stdout.slice(0, 300))} stderr ${JSON.stringify(r.stderr.slice(0, 600))}`;
        expect(r.timedOut, `${cmd} did not exit (it started?)`).to.equal(false);
        expect(r.status, what).to.equal(2);
        expect(r.stderr + r.stdout, `${what}: stack trace`).not.to.include('    at ');
        expect(r.stderr, what).to.match(/^tvm-upload: invalid configuration/);
        expect(r.stdout, what).not.to.include('configuration OK');
        const problems = r.stderr.split('\n').filter((l) => l.startsWith('  - '));
        expect(problems, `${what}: problem lines`).to.have.length(row.lines ?? 1);
        expect(problems.some((l) => l.includes(row.expect)), `${what}: a problem line naming ${row.expect}`).to.equal(true);
      }
    });
  }

  it('never created the state dir (no run got as far as starting)', () => {
    expect(existsSync(join(dir, 'state'))).to.equal(false);
  });
});
