// Mocha reporter: the usual spec output, then the tests per tier (test/support/tiers.cjs) with
// the ratio against the pyramid's target and the unit tier's time, and a JSON summary written
// at the end (passes, failures, pending, tests, tiers) so .ci/run can print the
// `N passed, N failed` line CI reads.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');
const { TIERS, TARGET, tierOf } = require('./tiers.cjs');

const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_HOOK_END, EVENT_RUN_END } = Mocha.Runner.constants;

function emptyTier() {
  return { tests: 0, passes: 0, failures: 0, pending: 0, ms: 0, suites: {} };
}

/** Per-tier counts and time, fed by runner events. */
class TierCounter {
  constructor() {
    this.tiers = Object.fromEntries(Object.keys(TIERS).map((t) => [t, emptyTier()]));
  }

  /** `kind`: 'passes' | 'failures' | 'pending'; hooks only add time (and hook failures). */
  count(runnable, kind) {
    const where = tierOf(runnable.file);
    if (where === null) return;
    const t = this.tiers[where.tier];
    t.ms += runnable.duration || 0;
    if (runnable.type === 'hook') {
      if (kind === 'failures') t.failures += 1;
      return;
    }
    t[kind] += 1;
    t.tests += 1;
    t.suites[where.suite] = (t.suites[where.suite] || 0) + 1;
  }

  /** Percent of all counted tests per tier, one decimal. */
  ratio() {
    const total = Object.values(this.tiers).reduce((n, t) => n + t.tests, 0);
    return Object.fromEntries(Object.entries(this.tiers).map(([k, t]) => [k, total === 0 ? 0 : Math.round((t.tests / total) * 1000) / 10]));
  }

  lines() {
    const r = this.ratio();
    const names = Object.keys(this.tiers);
    const counts = names.map((k) => `${k} ${this.tiers[k].tests}`).join(' · ');
    const out = [`tiers: ${counts} = ${names.map((k) => r[k].toFixed(1)).join(' / ')} % (target ${names.map((k) => TARGET[k]).join(' / ')})`];
    for (const k of names) {
      const suites = Object.entries(this.tiers[k].suites);
      if (suites.length > 1) out.push(`  ${k}: ${suites.map(([s, n]) => `${s} ${n}`).join(', ')}`);
      if (this.tiers[k].tests === 0) out.push(`  ${k}: none ran in this run`);
    }
    const unit = this.tiers.unit;
    if (unit.tests > 0) out.push(`unit tier: ${unit.tests} tests, ${(unit.ms / 1000).toFixed(1)} s in tests and hooks`);
    return out;
  }
}

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const file = process.env.TVM_TEST_SUMMARY || path.join('.tmp', 'test-summary.json');
    const tiers = new TierCounter();
    runner.on(EVENT_TEST_PASS, (t) => tiers.count(t, 'passes'));
    runner.on(EVENT_TEST_FAIL, (t) => tiers.count(t, 'failures'));
    runner.on(EVENT_TEST_PENDING, (t) => tiers.count(t, 'pending'));
    runner.on(EVENT_HOOK_END, (h) => tiers.count(h, 'hook'));
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || {};
      for (const line of tiers.lines()) Mocha.reporters.Base.consoleLog(`  ${line}`);
      Mocha.reporters.Base.consoleLog();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const summary = { passes: s.passes || 0, failures: s.failures || 0, pending: s.pending || 0, tests: s.tests || 0, tiers: tiers.tiers, ratio: tiers.ratio() };
      fs.writeFileSync(file, JSON.stringify(summary) + '\n');
    });
  }
}

module.exports = SummaryReporter;
module.exports.TierCounter = TierCounter;
