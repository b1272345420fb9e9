import { expect } from 'chai';
import { CLAIM_SQL, MAX_RETRY_HORIZON_MS } from '../../../src/state/fair-claim.js';
import type { FileRepo } from '../../../src/state/file-repo.js';
import { FILE_SQL } from '../../../src/state/file-sql.js';
import type { StateStore } from '../../../src/state/store.js';
import { closeAndRemove, input, storeInTempDir } from './helpers.js';

describe('FileRepo.claimNext', () => {
  let dir: string;
  let store: StateStore;
  let files: FileRepo;

  beforeEach(() => {
    ({ dir, store } = storeInTempDir());
    files = store.files;
  });
  afterEach(() => closeAndRemove(store, dir));

  const add = (source: string, name: string, queuedAt: number) =>
    files.enqueue(input({ path: `/logs/${source}/${name}`, source, relPath: name }), queuedAt);
  const claimPaths = (n: number, now = 1_000_000) =>
    Array.from({ length: n }, () => files.claimNext(now)?.path ?? null);

  it('returns null when nothing is queued', () => {
    expect(files.claimNext(1)).to.equal(null);
  });

  it('takes the oldest queued file first within a source and marks it in flight', () => {
    add('ros', 'c', 300);
    add('ros', 'a', 100);
    add('ros', 'b', 200);
    const r = files.claimNext(1000)!;
    expect(r).to.deep.include({ path: '/logs/ros/a', status: 'in_flight' });
    expect(files.get(r.id)!.status).to.equal('in_flight');
    expect(claimPaths(3)).to.deep.equal(['/logs/ros/b', '/logs/ros/c', null]);
  });

  it('breaks a queued_at tie by insertion order', () => {
    add('ros', 'first', 100);
    add('ros', 'second', 100);
    expect(claimPaths(2)).to.deep.equal(['/logs/ros/first', '/logs/ros/second']);
  });

  it('shares slots fairly across three sources: fewest in flight first, then the oldest waiting row', () => {
    for (let i = 1; i <= 5; i++) add('ros', `a${i}`, i);
    for (let i = 0; i < 3; i++) add('syslog', `b${i}`, 10 + i);
    for (let i = 0; i < 2; i++) add('terminal', `c${i}`, 20 + i);
    expect(claimPaths(11).map((p) => p && p.split('/').pop())).to.deep.equal([
      'a1', 'b0', 'c0', // everyone 0 in flight: oldest head first
      'a2', 'b1', 'c1', // everyone 1
      'a3', 'b2', // terminal is empty now
      'a4', 'a5', null,
    ]);
  });

  it('gives a slot freed by a finished upload to the source that now has the fewest in flight', () => {
    for (let i = 1; i <= 4; i++) add('ros', `a${i}`, i);
    for (let i = 1; i <= 4; i++) add('syslog', `b${i}`, 100 + i);
    const [a1, b1] = [files.claimNext(1000)!, files.claimNext(1000)!];
    expect([a1.path, b1.path]).to.deep.equal(['/logs/ros/a1', '/logs/syslog/b1']);
    files.markUploaded(b1.id, { objectKey: 'k', contentSha256: 'h', uploadedAt: 1, size: 100, mtimeMs: 1 });
    expect(files.claimNext(1000)!.path).to.equal('/logs/syslog/b2'); // syslog 0 in flight < ros 1
    expect(files.claimNext(1000)!.path).to.equal('/logs/ros/a2'); // tie 1:1, ros head older
  });

  it('passes over a source with more in flight even when its head is older', () => {
    add('alpha', 'a1', 1);
    add('alpha', 'a2', 2);
    add('beta', 'b1', 50);
    expect(files.claimNext(1000)!.path).to.equal('/logs/alpha/a1');
    expect(files.claimNext(1000)!.path).to.equal('/logs/beta/b1'); // alpha has 1 in flight, beta 0
  });

  it('skips the head of a source with more in flight than an earlier candidate', () => {
    add('beta', 'b1', 1);
    add('beta', 'b2', 2);
    add('alpha', 'a1', 50);
    expect(claimPaths(3).map((p) => p && p.split('/').pop())).to.deep.equal(['b1', 'a1', 'b2']);
  });

  it('breaks a tie between sources with equally old heads by insertion order', () => {
    add('zeta', 'z', 100);
    add('alpha', 'a', 100);
    expect(claimPaths(2)).to.deep.equal(['/logs/zeta/z', '/logs/alpha/a']);
  });

  it('does not claim a row before its retry time, then claims it first because it is the oldest', () => {
    add('ros', 'old', 1);
    const old = files.claimNext(1000)!;
    files.markFailed(old.id, { error: 'e', code: 'E', nextAttemptAt: 5000 });
    add('ros', 'new', 2);
    expect(files.claimNext(4999)!.path).to.equal('/logs/ros/new');
    expect(files.claimNext(4999)).to.equal(null);
    expect(files.nextWakeAt()).to.equal(5000);
    const again = files.claimNext(5000)!;
    expect(again).to.deep.include({ path: '/logs/ros/old', attempts: 1, status: 'in_flight' });
  });

  it('prefers a due retry over newer rows of the same source', () => {
    add('ros', 'old', 1);
    const old = files.claimNext(10)!;
    files.markFailed(old.id, { error: 'e', code: 'E', nextAttemptAt: 50 });
    add('ros', 'new', 20);
    expect(files.claimNext(60)!.path).to.equal('/logs/ros/old');
  });

  it('treats a retry time more than a day ahead as a clock that was set back, and retries now', () => {
    add('ros', 'a', 1);
    const a = files.claimNext(1000)!;
    files.markFailed(a.id, { error: 'e', code: 'E', nextAttemptAt: 1000 + MAX_RETRY_HORIZON_MS + 1 });
    expect(files.claimNext(1000)!.path).to.equal('/logs/ros/a');
    add('ros', 'b', 2);
    const b = files.claimNext(1000)!;
    files.markFailed(b.id, { error: 'e', code: 'E', nextAttemptAt: 1000 + MAX_RETRY_HORIZON_MS });
    expect(files.claimNext(1000)).to.equal(null);
  });

  it('skips excluded paths, given as a set or as an option', () => {
    add('ros', 'a', 1);
    add('ros', 'b', 2);
    add('syslog', 'c', 3);
    expect(files.claimNext(10, new Set(['/logs/ros/a']))!.path).to.equal('/logs/ros/b');
    expect(files.claimNext(10, { exclude: new Set(['/logs/ros/a', '/logs/syslog/c']) })).to.equal(null);
    expect(files.claimNext(10, { exclude: new Set(['/logs/ros/a']) })!.path).to.equal('/logs/syslog/c');
    expect(files.getByPath('/logs/ros/a')!.status).to.equal('queued');
  });

  it('only claims rows queued since the given time when asked to hold the backlog back', () => {
    add('ros', 'backlog', 100);
    add('syslog', 'backlog', 150);
    add('ros', 'fresh', 500);
    expect(files.claimNext(1000, { queuedSince: 400 })!.path).to.equal('/logs/ros/fresh');
    expect(files.claimNext(1000, { queuedSince: 400 })).to.equal(null);
    expect(files.claimNext(1000, { queuedSince: null })!.path).to.equal('/logs/syslog/backlog');
  });

  describe('query plans', () => {
    /** `EXPLAIN QUERY PLAN` detail lines of a statement, with placeholders bound to dummies. */
    function plan(sql: string): string[] {
      const stmt = store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
      const params = Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => 1);
      return (stmt.all(...params) as Array<{ detail: string }>).map((r) => r.detail);
    }

    const statements = { ...CLAIM_SQL, ...FILE_SQL };
    for (const [name, sql] of Object.entries(statements)) {
      if (!/\bfiles\b/.test(sql) || /^\s*INSERT/.test(sql)) continue;
      it(`${name}: reads files through an index, never a full scan`, () => {
        const details = plan(sql);
        const scans = details.filter((d) => /\bSCAN files\b/.test(d) && !/USING (COVERING )?INDEX/.test(d));
        expect(scans, details.join('\n')).to.deep.equal([]);
      });
    }

    it('the dispatch statements use the ready / waiting / in-flight partial indexes', () => {
      expect(plan(CLAIM_SQL.headOf).join('\n')).to.contain('files_ready');
      expect(plan(CLAIM_SQL.sources).join('\n')).to.contain('files_ready').and.contain('files_in_flight');
      expect(plan(CLAIM_SQL.promoteDue).join('\n')).to.contain('files_waiting');
      expect(plan(CLAIM_SQL.promoteFuture).join('\n')).to.contain('files_waiting');
      expect(plan(FILE_SQL.minWaiting).join('\n')).to.contain('files_waiting');
      expect(plan(FILE_SQL.prune).join('\n')).to.contain('files_uploaded_at');
      expect(plan(FILE_SQL.page).join('\n')).to.contain('files_queued');
      expect(plan(FILE_SQL.resetInFlight).join('\n')).to.contain('files_in_flight');
    });
  });
});
