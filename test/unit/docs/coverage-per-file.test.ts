// The per-file coverage gate's arithmetic (test/support/coverage-per-file.cjs): lines, branches
// and functions per file, and the one correction it makes (a never-run range V8 pins to line 1,
// column 0 of a file whose first line is a comment).
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, removeDir } from '../../support/temp-dir.js';

const require = createRequire(import.meta.url);
interface Summary {
  lines: number;
  branches: number;
  functions: number;
  dropped: number;
}
const gate = require('../../support/coverage-per-file.cjs') as {
  summarise(rec: unknown, firstLineIsComment: boolean): Summary;
  check(file: string, root: string): { files: number; failures: string[] };
  PER_FILE: number;
};

const loc = (line: number, column = 4) => ({ start: { line, column }, end: { line, column: column + 5 } });

/** An istanbul record: statements per line, branches as [line, column, count], function counts. */
function record(statements: Array<[number, number]>, branches: Array<[number, number, number]>, fns: number[]) {
  return {
    statementMap: Object.fromEntries(statements.map(([line], i) => [i, loc(line)])),
    s: Object.fromEntries(statements.map(([, n], i) => [i, n])),
    branchMap: Object.fromEntries(branches.map(([line, column], i) => [i, { loc: loc(line, column) }])),
    b: Object.fromEntries(branches.map(([, , n], i) => [i, [n]])),
    f: Object.fromEntries(fns.map((n, i) => [i, n])),
  };
}

describe('per-file coverage gate', () => {
  it('counts a line covered when any statement on it ran, and branches and functions by count', () => {
    const s = gate.summarise(record([[2, 1], [2, 0], [3, 0], [4, 5]], [[2, 4, 1], [3, 4, 0]], [1, 0, 0, 3]), true);
    expect(s).to.deep.equal({ lines: 66.66, branches: 50, functions: 50, dropped: 0 });
  });

  it('drops a never-run range at line 1, column 0 only when line 1 is a comment', () => {
    const rec = record([[2, 1]], [[1, 0, 0], [1, 0, 4], [5, 4, 1], [1, 3, 0]], [1]);
    expect(gate.summarise(rec, true)).to.deep.include({ branches: 66.66, dropped: 1 });
    expect(gate.summarise(rec, false)).to.deep.include({ branches: 50, dropped: 0 });
  });

  it('fails every file under the threshold by name and measure, skipping files that do not exist', () => {
    const root = tempDir('tvm-cov-');
    try {
      writeFileSync(join(root, 'good.ts'), '/** ok */\nx;\n');
      writeFileSync(join(root, 'bad.ts'), 'code();\n');
      const data = {
        [join(root, 'good.ts')]: record([[2, 1]], [[1, 0, 0], [2, 4, 1]], [1]),
        [join(root, 'bad.ts')]: record([[1, 1], [2, 0]], [[1, 0, 0], [2, 4, 1]], [1]),
        [join(root, '<define:import.meta>')]: record([[1, 0]], [], [0]),
      };
      writeFileSync(join(root, 'coverage-final.json'), JSON.stringify(data));
      const r = gate.check(join(root, 'coverage-final.json'), root);
      expect(r.files).to.equal(2);
      expect(r.failures).to.deep.equal([`bad.ts: lines 50 % < ${gate.PER_FILE} %`, `bad.ts: branches 50 % < ${gate.PER_FILE} %`]);
    } finally {
      removeDir(root);
    }
  });
});
