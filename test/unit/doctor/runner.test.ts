import { expect } from 'chai';
import { formatStep, formatSummary } from '../../../src/doctor/report.js';
import { allPassed, fail, pass, runSteps, skip, type DoctorStep } from '../../../src/doctor/step.js';
import { context } from './helpers.js';

const step = (id: string, run: DoctorStep['run'], needs?: string[]): DoctorStep => ({ id, title: `step ${id}`, run, ...(needs ? { needs } : {}) });

describe('doctor/step runner and report', () => {
  it('runs every step in order and reports each as soon as it is known', async () => {
    const seen: string[] = [];
    const reports = await runSteps(
      [step('a', async () => pass('fine')), step('b', async () => fail('broken', 'mend it')), step('c', async () => skip('n/a'))],
      context(),
      (r) => seen.push(`${r.id}:${r.status}`),
    );
    expect(seen).to.deep.equal(['a:pass', 'b:fail', 'c:skip']);
    expect(reports.map((r) => r.title)).to.deep.equal(['step a', 'step b', 'step c']);
    expect(allPassed(reports)).to.equal(false);
  });

  it('skips a step whose dependency did not pass, naming it, and never runs it', async () => {
    let ran = false;
    const reports = await runSteps(
      [step('a', async () => fail('down', 'fix a')), step('b', async () => ((ran = true), pass('x')), ['a']), step('c', async () => pass('y'), ['b'])],
      context(),
    );
    expect(ran).to.equal(false);
    expect(reports[1]).to.deep.include({ status: 'skip', detail: 'not run: "step a" did not pass' });
    expect(reports[2]).to.deep.include({ status: 'skip', detail: 'not run: "step b" did not pass' });
  });

  it('turns a step that throws into a failed step and goes on', async () => {
    const reports = await runSteps([step('a', () => Promise.reject(new Error('boom'))), step('b', async () => pass('ok'))], context());
    expect(reports[0]).to.deep.include({ status: 'fail', detail: 'the check itself failed: boom' });
    expect(reports[1]!.status).to.equal('pass');
    const odd = await runSteps([step('a', () => Promise.reject('text'))], context());
    expect(odd[0]!.detail).to.equal('the check itself failed: text');
  });

  it('counts skipped steps as not failing', async () => {
    expect(allPassed(await runSteps([step('a', async () => pass('x')), step('b', async () => skip('n/a'))], context()))).to.equal(true);
  });

  it('prints a mark per status, continuation lines indented and the fix under a failure', () => {
    expect(formatStep({ id: 'a', title: 'T', status: 'pass', detail: 'one\ntwo' })).to.equal('✔ T: one\n    two');
    expect(formatStep({ id: 'a', title: 'T', status: 'fail', detail: 'bad', fix: 'do x\ndo y' })).to.equal('✘ T: bad\n    fix: do x\n    fix: do y');
    expect(formatStep({ id: 'a', title: 'T', status: 'skip', detail: 'n/a' })).to.equal('– T: n/a');
  });

  it('summarises the counts and whether the deployment is ready', () => {
    const p = { id: 'a', title: 'T', detail: '' };
    expect(formatSummary([{ ...p, status: 'pass' }, { ...p, status: 'skip' }])).to.equal('1 passed, 0 failed, 1 skipped: ready');
    expect(formatSummary([{ ...p, status: 'fail' }])).to.equal('0 passed, 1 failed, 0 skipped: NOT ready, fix the ✘ lines above');
  });
});
