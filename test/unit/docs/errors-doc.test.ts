// Keeps docs/ERRORS.md and the error catalog (src/errors.ts ErrorCodes) in step: the page's
// table must list exactly the catalog's codes, once each, with every column filled in. Adding
// a code to either side without the other fails here.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes } from '../../../src/errors.js';

const DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/ERRORS.md');

interface Row {
  readonly code: string;
  readonly cells: readonly string[];
  readonly line: number;
}

/** Table rows whose first cell is a `TVM_ERR_*` code, and every other mention of a code. */
export function parseErrorsDoc(text: string): { rows: Row[]; mentioned: Set<string> } {
  const rows: Row[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^\|\s*`(TVM_ERR_[A-Z0-9_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (m) rows.push({ code: m[1]!, cells: m[2]!.split('|').map((c) => c.trim()), line: i + 1 });
  });
  const mentioned = new Set(text.match(/TVM_ERR_[A-Z0-9_]+/g) ?? []);
  return { rows, mentioned };
}

describe('docs/ERRORS.md', () => {
  const catalog = Object.values(ErrorCodes).sort();
  const { rows, mentioned } = parseErrorsDoc(fs.readFileSync(DOC, 'utf8'));
  const documented = rows.map((r) => r.code);

  it('has a row for every code in the catalog', () => {
    const missing = catalog.filter((c) => !documented.includes(c));
    expect(missing, `add these codes to docs/ERRORS.md: ${missing.join(', ')}`).to.deep.equal([]);
  });

  it('documents no code the catalog does not have', () => {
    const extra = documented.filter((c) => !(catalog as string[]).includes(c));
    expect(extra, `these codes are not in src/errors.ts: ${extra.join(', ')}`).to.deep.equal([]);
  });

  it('lists each code once', () => {
    const dupes = documented.filter((c, i) => documented.indexOf(c) !== i);
    expect(dupes).to.deep.equal([]);
  });

  it('fills in meaning, retriability and what to do for each code', () => {
    for (const r of rows) {
      expect(r.cells, `${r.code} (line ${r.line}) needs 3 columns after the code`).to.have.length(3);
      for (const cell of r.cells) expect(cell, `${r.code} (line ${r.line}) has an empty cell`).to.not.equal('');
      expect(r.cells[1], `${r.code}: retriability must name retriable, operator or permanent`).to.match(/retriable|operator|permanent/);
    }
  });

  it('mentions no unknown code anywhere in the text', () => {
    const unknown = [...mentioned].filter((c) => !(catalog as string[]).includes(c));
    expect(unknown).to.deep.equal([]);
  });

  describe('the parser', () => {
    it('finds codes in table rows and ignores them elsewhere', () => {
      const doc = ['| Code | Meaning | R | Do |', '|---|---|---|---|', '| `TVM_ERR_A` | a | retriable | x |', 'text `TVM_ERR_B`'].join('\n');
      const parsed = parseErrorsDoc(doc);
      expect(parsed.rows.map((r) => r.code)).to.deep.equal(['TVM_ERR_A']);
      expect([...parsed.mentioned].sort()).to.deep.equal(['TVM_ERR_A', 'TVM_ERR_B']);
    });

    it('would report a catalog code missing from the page', () => {
      const parsed = parseErrorsDoc('| `TVM_ERR_CONFIG_INVALID` | m | permanent | d |');
      const missing = catalog.filter((c) => !parsed.rows.some((r) => r.code === c));
      expect(missing).to.include(ErrorCodes.DISK_FULL);
    });
  });
});
