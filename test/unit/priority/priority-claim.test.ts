import { expect } from 'chai';
import type { FileRepo } from '../../../src/state/file-repo.js';
import { migrate } from '../../../src/state/migrations.js';
import { CLAIM_SQL } from '../../../src/state/fair-claim.js';
import { rankOf, type Priority } from '../../../src/priority/priority.js';
import { input, migratedDb, useFreshStore } from '../state/helpers.js';

describe('priority/claim order', () => {
  const store = useFreshStore();
  let files: FileRepo;
  beforeEach(() => {
    files = store().files;
  });

  const add = (source: string, name: string, queuedAt: number, priority: Priority = 'normal') =>
    files.enqueue(input({ path: `/logs/${source}/${name}`, source, relPath: name, priority: rankOf(priority) }), queuedAt);
  const names = (n: number, maxPriority?: 0 | 1 | 2) =>
    Array.from({ length: n }, () => files.claimNext(1_000_000, maxPriority === undefined ? {} : { maxPriority })?.relPath ?? null);

  it('serves high before normal before low, oldest first within a level', () => {
    add('ros', 'low-old', 1, 'low');
    add('ros', 'normal-old', 2);
    add('ros', 'high-new', 30, 'high');
    add('ros', 'normal-new', 20);
    add('ros', 'high-old', 10, 'high');
    expect(names(6)).to.deep.equal(['high-old', 'high-new', 'normal-old', 'normal-new', 'low-old', null]);
  });

  it('lets a high file of a busy source overtake normal files of an idle one', () => {
    add('ros', 'r1', 1);
    add('ros', 'r2', 2);
    add('syslog', 's1', 3);
    expect(names(1)).to.deep.equal(['r1']); // ros now has one in flight
    add('ros', 'incident', 100, 'high');
    expect(names(3)).to.deep.equal(['incident', 's1', 'r2']);
  });

  it('claims only rows at least as urgent as maxPriority', () => {
    add('ros', 'n', 1);
    add('syslog', 'l', 2, 'low');
    add('cam', 'h', 3, 'high');
    expect(names(2, 0)).to.deep.equal(['h', null]);
    expect(names(2, 1)).to.deep.equal(['n', null]);
    expect(names(2, 2)).to.deep.equal(['l', null]);
  });

  it('keeps the more urgent rank when a queued file is seen again with a lower one', () => {
    add('ros', 'x', 1, 'high');
    expect(add('ros', 'x', 5, 'low')).to.equal('already-queued');
    expect(files.getByPath('/logs/ros/x')?.priority).to.equal(0);
    add('ros', 'y', 1, 'low');
    add('ros', 'y', 5, 'normal');
    expect(files.getByPath('/logs/ros/y')?.priority).to.equal(1);
  });

  it('raisePriority raises a queued row and never lowers one', () => {
    add('ros', 'a', 1, 'low');
    add('ros', 'b', 2);
    const b = files.getByPath('/logs/ros/b')!;
    expect(files.raisePriority(b.id, 0)).to.equal(true);
    expect(files.raisePriority(b.id, 2)).to.equal(true);
    expect(files.getByPath('/logs/ros/b')?.priority).to.equal(0);
    expect(files.raisePriority(9999, 0)).to.equal(false);
    expect(names(2)).to.deep.equal(['b', 'a']);
  });

  it('migrates a version 1 database: existing queued rows become normal and are still claimed', () => {
    const db = migratedDb(':memory:', 1);
    db.prepare(`INSERT INTO files (path, source, rel_path, size, mtime_ms, status, queued_at) VALUES ('/p', 's', 'p', 1, 1, 'queued', 1)`).run();
    migrate(db, ':memory:');
    expect(db.prepare('SELECT priority FROM files').get()).to.deep.equal({ priority: 1 });
    expect(db.prepare('SELECT priority, files, bytes FROM queue_by_priority ORDER BY priority').all()).to.deep.equal([
      { priority: 0, files: 0, bytes: 0 }, { priority: 1, files: 1, bytes: 1 }, { priority: 2, files: 0, bytes: 0 },
    ]);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${CLAIM_SQL.headOf}`).all('s', 1, 0, 1) as { detail: string }[];
    // A seek on (source, priority, queued_at): older rows are never walked, nothing is sorted.
    expect(plan.map((p) => p.detail).join('\n')).to.contain('files_ready (source=? AND priority=? AND queued_at>?)').and.not.contain('TEMP B-TREE');
    db.close();
  });
});

describe('priority/queue counts', () => {
  const store = useFreshStore();

  it('keeps queued files and bytes per priority through enqueue, raise, claim, failure, upload and removal', () => {
    const files = store().files;
    const counts = () => files.queuedByPriority().map((r) => [r.files, r.bytes]);
    files.enqueue(input({ path: '/a', size: 10, priority: 1 }), 1);
    files.enqueue(input({ path: '/b', size: 20, priority: 2 }), 2);
    files.enqueue(input({ path: '/c', size: 5, priority: 0 }), 3);
    expect(counts()).to.deep.equal([[1, 5], [1, 10], [1, 20]]);
    files.raisePriority(files.getByPath('/b')!.id, 0);
    expect(counts()).to.deep.equal([[2, 25], [1, 10], [0, 0]]);
    const c = files.claimNext(10)!; // /c or /b: high first
    expect(c.priority).to.equal(0);
    expect(counts()[0]![0]).to.equal(1);
    files.markFailed(c.id, { error: 'x', code: 'y', nextAttemptAt: 0 });
    expect(counts()[0]).to.deep.equal([2, 25]);
    files.enqueue(input({ path: '/a', size: 15, priority: 1 }), 4); // grew while queued
    expect(counts()[1]).to.deep.equal([1, 15]);
    const a = files.claimNext(10, { maxPriority: 2, exclude: new Set(['/b', '/c']) })!;
    files.markUploaded(a.id, { objectKey: 'k', contentSha256: 's', uploadedAt: 5, size: a.size, mtimeMs: a.mtimeMs });
    files.remove(files.getByPath('/c')!.id);
    expect(counts()).to.deep.equal([[1, 20], [0, 0], [0, 0]]);
  });
});
