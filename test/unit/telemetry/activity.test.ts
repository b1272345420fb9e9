import { expect } from 'chai';
import { ActivityLog, failuresSince, parseActivity } from '../../../src/telemetry/activity.js';
import type { TelemetryEvent } from '../../../src/telemetry/events.js';

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % HOUR);

function failed(code: string, path = '/logs/a.log'): TelemetryEvent {
  return { type: 'file.failed', path, key: null, code, message: `${code} happened`, attempts: 1, retryInMs: 1000, retriability: 'retriable', hint: null };
}

describe('telemetry/activity (failures in 24 h, last error per class)', () => {
  it('counts failed attempts per hour and keeps the last error of each code, newest first', () => {
    let now = T0 + 10;
    let saved: string | null = null;
    const log = new ActivityLog({ now: () => now, load: () => null, save: (t) => (saved = t), saveEveryMs: 60_000 });
    log.record(failed('TVM_ERR_S3_TRANSIENT'));
    now += HOUR;
    log.record(failed('TVM_ERR_S3_TRANSIENT', '/logs/b.log'));
    log.record(failed('TVM_ERR_S3_ACCESS_DENIED'));
    log.record({ type: 'file.vanished', path: '/x' });
    log.flush();
    const r = parseActivity(saved);
    expect(r.failures).to.deep.equal([[T0, 1], [T0 + HOUR, 2]]);
    expect(r.lastErrors.map((e) => [e.code, e.path])).to.deep.equal([
      ['TVM_ERR_S3_TRANSIENT', '/logs/b.log'],
      ['TVM_ERR_S3_ACCESS_DENIED', '/logs/a.log'],
    ]);
    expect(failuresSince(r, now)).to.equal(3);
    expect(failuresSince(r, T0 + 25 * HOUR + 10)).to.equal(2);
    expect(failuresSince(r, T0 + 26 * HOUR + 10)).to.equal(0);
  });

  it('resumes from the stored record and forgets hours older than a day', () => {
    const stored = JSON.stringify({ failures: [[T0 - 30 * HOUR, 5], [T0, 2]], lastErrors: [{ code: 'X', at: T0, path: '/p', message: 'm' }] });
    let saved = '';
    const log = new ActivityLog({ now: () => T0 + 5, load: () => stored, save: (t) => (saved = t) });
    log.record(failed('Y'));
    log.flush();
    const r = parseActivity(saved);
    expect(r.failures).to.deep.equal([[T0, 3]]);
    expect(r.lastErrors.map((e) => e.code).sort()).to.deep.equal(['X', 'Y']);
  });

  it('writes only when something changed, and a failing write is reported, kept and retried', () => {
    let writes = 0;
    let broken = true;
    const errors: unknown[] = [];
    const log = new ActivityLog({
      now: () => T0,
      load: () => null,
      save: () => {
        if (broken) throw new Error('disk full');
        writes++;
      },
      onSaveError: (e) => errors.push(e),
    });
    log.flush();
    expect(errors).to.have.length(0);
    log.record(failed('X'));
    log.flush();
    expect(errors).to.have.length(1);
    broken = false;
    log.flush();
    log.flush();
    expect(writes).to.equal(1);
  });

  it('saves on its own shortly after a failure', async () => {
    let saved: string | null = null;
    const log = new ActivityLog({ now: () => T0, load: () => null, save: (t) => (saved = t), saveEveryMs: 1 });
    log.record(failed('X'));
    for (let i = 0; i < 200 && saved === null; i++) await new Promise((r) => setTimeout(r, 10));
    expect(parseActivity(saved).failures).to.deep.equal([[T0, 1]]);
  });

  it('treats an unreadable stored record as empty', () => {
    expect(parseActivity('{nope')).to.deep.equal({ failures: [], lastErrors: [] });
    expect(parseActivity(JSON.stringify({ failures: [[1, 'x'], 'bad', [T0, 2]], lastErrors: [{ code: 1 }, null] }))).to.deep.equal({ failures: [[T0, 2]], lastErrors: [] });
    expect(parseActivity(JSON.stringify({}))).to.deep.equal({ failures: [], lastErrors: [] });
  });
});
