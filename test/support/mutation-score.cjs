// Prints the mutation score per folder from the incremental files test/support/mutation.sh keeps
// (reports/mutation/<folder>.incremental.json, Stryker's mutation-testing-report JSON), the same
// arithmetic as Stryker's own table: detected (killed + timeout) over valid mutants (detected +
// survived + no coverage); compile errors and ignored mutants do not count. Exit 1 when a folder
// has no report yet or scores under the threshold (TVM_MUTATION_THRESHOLD, default 70).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const threshold = Number(process.env.TVM_MUTATION_THRESHOLD ?? 70);

function tally(report) {
  const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, CompileError: 0, RuntimeError: 0, Ignored: 0 };
  for (const file of Object.values(report.files ?? {})) {
    for (const mutant of file.mutants ?? []) counts[mutant.status] = (counts[mutant.status] ?? 0) + 1;
  }
  return counts;
}

function score(counts) {
  const detected = counts.Killed + counts.Timeout;
  const valid = detected + counts.Survived + counts.NoCoverage;
  return { detected, valid, percent: valid === 0 ? 100 : (100 * detected) / valid };
}

function report(folders) {
  let failed = false;
  for (const folder of folders) {
    const file = path.join(root, 'reports', 'mutation', `${folder}.incremental.json`);
    if (!fs.existsSync(file)) {
      process.stdout.write(`src/${folder}: no report (${path.relative(root, file)} missing)\n`);
      failed = true;
      continue;
    }
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    const counts = tally(report);
    // A run over some files of a folder leaves only those in the file: say how many were measured.
    const files = Object.keys(report.files ?? {}).length;
    const { detected, valid, percent } = score(counts);
    const below = percent < threshold;
    failed ||= below;
    process.stdout.write(
      `src/${folder} (${files} files): ${percent.toFixed(1)} % (${detected}/${valid}: killed ${counts.Killed}, timeout ${counts.Timeout}, ` +
        `survived ${counts.Survived}, no coverage ${counts.NoCoverage}; compile errors ${counts.CompileError})` +
        (below ? ` — under ${threshold} %` : '') +
        '\n',
    );
  }
  return failed;
}

module.exports = { tally, score };
if (require.main === module) process.exitCode = report(process.argv.slice(2)) ? 1 : 0;
