#!/usr/bin/env node
// The per-file coverage gate, run after `c8 mocha` (which enforces the global 90 %): every file
// in coverage/coverage-final.json must reach PER_FILE percent of lines, branches and functions.
//
// One correction to c8's own per-file arithmetic, and only this one: a never-run branch range
// that V8 places at line 1, column 0 is dropped when line 1 of that file is a comment. tsx
// compiles each module with esbuild's keepNames helpers in front of the code; V8 reports that
// prologue's blocks, and source maps pin them to the first character of the file, which in every
// src/ file is the opening of its doc comment. No test can run code that is not there, and in a
// small module that one phantom is worth 10–15 points.
//
// Files judged elsewhere: src/main.ts is the process entry and runs only in child processes,
// which c8 does not measure (test/support/child-env.ts says why); the CLI process tests cover it.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const PER_FILE = 80;
const NOT_MEASURABLE = new Map([['src/main.ts', 'runs only in child processes (the CLI process tests), which c8 does not measure']]);

function pct(covered, total) {
  return total === 0 ? 100 : Math.floor((covered / total) * 10000) / 100;
}

/** Lines, branches and functions of one istanbul file record, with the line-1 correction. */
function summarise(rec, firstLineIsComment) {
  const lineHits = new Map();
  for (const [id, loc] of Object.entries(rec.statementMap)) {
    const line = loc.start.line;
    lineHits.set(line, Math.max(lineHits.get(line) || 0, rec.s[id]));
  }
  let branches = 0;
  let branchesHit = 0;
  let dropped = 0;
  for (const [id, b] of Object.entries(rec.branchMap)) {
    for (const n of rec.b[id]) {
      if (n === 0 && firstLineIsComment && b.loc.start.line === 1 && b.loc.start.column === 0) {
        dropped += 1;
        continue;
      }
      branches += 1;
      if (n > 0) branchesHit += 1;
    }
  }
  const fns = Object.values(rec.f);
  return {
    lines: pct([...lineHits.values()].filter((n) => n > 0).length, lineHits.size),
    branches: pct(branchesHit, branches),
    functions: pct(fns.filter((n) => n > 0).length, fns.length),
    dropped,
  };
}

function check(coverageFile, root) {
  const data = JSON.parse(fs.readFileSync(coverageFile, 'utf8'));
  const failures = [];
  let files = 0;
  for (const [abs, rec] of Object.entries(data)) {
    const rel = path.relative(root, abs).split(path.sep).join('/');
    // esbuild's virtual modules (e.g. src/<define:import.meta>) are not files anyone wrote.
    if (NOT_MEASURABLE.has(rel) || !fs.existsSync(abs)) continue;
    files += 1;
    const firstLine = fs.readFileSync(abs, 'utf8').split('\n', 1)[0].trimStart();
    const s = summarise(rec, firstLine.startsWith('/*') || firstLine.startsWith('//'));
    for (const k of ['lines', 'branches', 'functions']) {
      if (s[k] < PER_FILE) failures.push(`${rel}: ${k} ${s[k]} % < ${PER_FILE} %`);
    }
  }
  return { files, failures };
}

if (require.main === module) {
  const root = process.cwd();
  const file = process.argv[2] || path.join(root, 'coverage', 'coverage-final.json');
  const { files, failures } = check(file, root);
  const say = (line) => process.stdout.write(`${line}\n`);
  for (const [f, why] of NOT_MEASURABLE) say(`per-file coverage: ${f} not judged here: ${why}`);
  if (failures.length > 0) {
    say(`per-file coverage: ${failures.length} below ${PER_FILE} % (lines, branches, functions each):`);
    for (const f of failures) say(`  ${f}`);
    process.exit(1);
  }
  say(`per-file coverage: all ${files} files at or above ${PER_FILE} % lines, branches and functions`);
}

module.exports = { summarise, check, PER_FILE };
