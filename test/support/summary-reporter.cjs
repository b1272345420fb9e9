// Mocha reporter: the usual spec output, plus a JSON summary (passes, failures, pending) written
// at the end so .ci/run can print the `N passed, N failed` line CI reads.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const file = process.env.TVM_TEST_SUMMARY || path.join('.tmp', 'test-summary.json');
    runner.once('end', () => {
      const s = runner.stats || {};
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ passes: s.passes || 0, failures: s.failures || 0, pending: s.pending || 0, tests: s.tests || 0 }) + '\n');
    });
  }
}

module.exports = SummaryReporter;
