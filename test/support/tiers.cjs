// The test tiers, by folder: one definition read by the summary reporter (per-tier counts and
// the ratio printed at the end of every run) and checked against the per-tier mocha configs
// (.mocharc.<tier>.json) by test/unit/docs/test-tiers.test.ts.
//   unit         code under test with fakes only: no servers, child processes, big files, real sleeps
//   integration  real servers on loopback, the real daemon and CLI, worker threads, SIGKILL
//   e2e          real AWS, opt-in (TVM_E2E_BUCKET)
'use strict';

const TIERS = {
  unit: ['test/unit/'],
  integration: ['test/integration/', 'test/chaos/', 'test/crash/', 'test/bad-input/'],
  e2e: ['test/e2e/'],
};

/** The pyramid the testing strategy asks for, in percent of tests. */
const TARGET = { unit: 70, integration: 20, e2e: 10 };

/** The tier and suite folder of a test file (absolute or relative), or null outside test/. */
function tierOf(file) {
  const rel = String(file || '').replace(/\\/g, '/');
  for (const [tier, folders] of Object.entries(TIERS)) {
    for (const folder of folders) {
      const at = rel.lastIndexOf(`/${folder}`);
      if (rel.startsWith(folder) || at !== -1) return { tier, suite: folder.split('/')[1] };
    }
  }
  return null;
}

module.exports = { TIERS, TARGET, tierOf };
