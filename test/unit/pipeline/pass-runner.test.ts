import { expect } from 'chai';
import sinon from 'sinon';
import { ONE_SHOT_ATTEMPTS, ONE_SHOT_RETRY_HORIZON_MS, PassRunner, type PassRunnerOptions } from '../../../src/pipeline/pass-runner.js';
import { silentLogger } from '../../../src/telemetry/logger.js';

function runner(over: Partial<PassRunnerOptions> = {}) {
  const calls: string[] = [];
  const warned: string[] = [];
  const logger = { ...silentLogger(), warn: (_o: unknown, m: string) => void warned.push(m), info: (_o: unknown, m: string) => void calls.push(`info:${m}`) } as never;
  const o: PassRunnerOptions = {
    files: { retryAllNow: () => (calls.push('retryAllNow'), 2) },
    gate: { triggerPass: () => void calls.push('triggerPass') },
    intake: { scanAll: async () => void calls.push('scanAll'), scanExisting: async (always) => void calls.push(`scanExisting:${always}`) },
    dispatcher: { wake: () => void calls.push('wake'), whenIdle: async () => void calls.push('idle') },
    reader: () => ({ nextRetryAt: () => null }),
    passes: () => ({ begin: () => (calls.push('begin'), 7), finish: (seq) => void calls.push(`finish:${seq}`) }),
    logger,
    closing: () => false,
    ...over,
  };
  return { r: new PassRunner(o), calls, warned };
}

describe('pipeline/pass-runner', () => {
  it('upload-now records the pass, makes waiting files due, opens the gate, rescans and drains', async () => {
    const { r, calls } = runner();
    await r.uploadNow();
    expect(calls).to.deep.equal(['begin', 'retryAllNow', 'info:upload pass: files waiting for a retry are tried now', 'triggerPass', 'scanAll', 'wake', 'idle', 'finish:7']);
  });

  it('never lets the pass bookkeeping or a refused retry reset stop the pass', async () => {
    const { r, calls, warned } = runner({
      files: { retryAllNow: () => { throw new Error('SQLITE_BUSY'); } },
      passes: () => ({ begin: () => { throw new Error('SQLITE_FULL'); }, finish: () => { throw new Error('SQLITE_FULL'); } }),
    });
    await r.uploadNow();
    expect(calls).to.include('idle');
    expect(warned).to.deep.equal([
      'cannot record the start of the upload pass',
      'cannot make waiting files due now; they keep their retry time',
      'cannot record the end of the upload pass',
    ]);
  });

  it('runs without pass records before they exist', async () => {
    const { r, calls } = runner({ passes: () => null });
    await r.uploadNow();
    expect(calls).to.not.include('begin');
  });

  it('one-shot: waits for a retry due within the horizon, then ends the pass when none is left', async () => {
    const fake = sinon.useFakeTimers({ now: 1_000_000, toFake: ['Date', 'setTimeout'] });
    try {
      const due = [Date.now() + 2000, null];
      const asked: number[] = [];
      const { r, calls } = runner({ reader: () => ({ nextRetryAt: (n) => (asked.push(n), due.shift() ?? null) }) });
      const done = r.runOnce();
      await fake.tickAsync(2005);
      const { startedAt } = await done;
      expect(startedAt).to.equal(1_000_000);
      expect(asked).to.deep.equal([ONE_SHOT_ATTEMPTS, ONE_SHOT_ATTEMPTS]);
      expect(calls.filter((c) => c === 'idle')).to.have.length(2);
      expect(calls.at(-1)).to.equal('finish:7');
      expect(calls).to.include('scanExisting:true');
    } finally {
      fake.restore();
    }
  });

  it('one-shot: a retry beyond the horizon ends the pass, and a closing daemon ends it unrecorded', async () => {
    const far = runner({ reader: () => ({ nextRetryAt: () => Date.now() + ONE_SHOT_RETRY_HORIZON_MS + 1000 }) });
    await far.r.runOnce();
    expect(far.calls.at(-1)).to.equal('finish:7');
    const closing = runner({ closing: () => true });
    await closing.r.runOnce();
    expect(closing.calls).to.not.include('finish:7');
  });
});
