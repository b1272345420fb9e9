import { expect } from 'chai';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { TOMBSTONE_RETENTION_MS, type FileRepo } from '../../../src/state/file-repo.js';
import type { StateStore } from '../../../src/state/store.js';
import { closeAndRemove, input, PROOF, storeInTempDir } from './helpers.js';

describe('FileRepo', () => {
  let dir: string;
  let store: StateStore;
  let files: FileRepo;

  beforeEach(() => {
    ({ dir, store } = storeInTempDir());
    files = store.files;
  });
  afterEach(() => closeAndRemove(store, dir));

  const totalChanges = () => (store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  const uploadedInfo = (over: Partial<Parameters<FileRepo['markUploaded']>[1]> = {}) => ({
    objectKey: 'v1/2026-11-30/ros/a.log.gz',
    contentSha256: 'ab'.repeat(32),
    uploadedAt: 5000,
    size: 100,
    mtimeMs: 1_700_000_000_000.123,
    ...over,
  });

  function uploadedRow(path = '/logs/ros/a.log') {
    files.enqueue(input({ path }), 1000);
    const r = files.claimNext(2000)!;
    files.markUploaded(r.id, uploadedInfo());
    return files.get(r.id)!;
  }

  describe('enqueue', () => {
    it('queues a new path with its identity, the enqueue time and no attempts', () => {
      expect(files.enqueue(input({ path: '/logs/ros/a.log', relPath: 'a.log', size: 7, mtimeMs: 12.5 }), 1000)).to.equal('queued');
      const r = files.getByPath('/logs/ros/a.log')!;
      expect(r).to.deep.include({
        path: '/logs/ros/a.log', source: 'ros', relPath: 'a.log', size: 7, mtimeMs: 12.5, status: 'queued',
        attempts: 0, nextAttemptAt: 0, lastError: null, lastErrorCode: null, contentSha256: null, objectKey: null,
        uploadedAt: null, queuedAt: 1000, verifyRemote: false,
      });
      expect(files.get(r.id)).to.deep.equal(r);
    });

    it('keeps mtimeMs exactly as fs.stat reported it', () => {
      const mtimeMs = 1796007598058.3262;
      files.enqueue(input({ path: '/x', mtimeMs }), 1);
      expect(files.getByPath('/x')!.mtimeMs).to.equal(mtimeMs);
    });

    it('reports an already queued path and updates its identity, clearing a hash of the old content', () => {
      files.enqueue(input({ path: '/a' }), 1000);
      const id = files.getByPath('/a')!.id;
      files.setContentSha256(id, 'cd'.repeat(32));
      expect(files.enqueue(input({ path: '/a', size: 200 }), 3000)).to.equal('already-queued');
      expect(files.get(id)).to.deep.include({ size: 200, queuedAt: 1000, contentSha256: null, status: 'queued' });
    });

    it('does not write anything for an already queued path that did not change', () => {
      const same = input({ path: '/a' });
      files.enqueue(same, 1000);
      const before = totalChanges();
      expect(files.enqueue(same, 3000)).to.equal('already-queued');
      expect(totalChanges()).to.equal(before);
    });

    it('keeps a computed hash when only the source mapping changes, and never clears verify_remote', () => {
      files.enqueue(input({ path: '/a', verifyRemote: true }), 1000);
      const id = files.getByPath('/a')!.id;
      files.setContentSha256(id, 'ef'.repeat(32));
      expect(files.enqueue(input({ path: '/a', source: 'syslog', relPath: 'a' }), 2000)).to.equal('already-queued');
      expect(files.get(id)).to.deep.include({ source: 'syslog', relPath: 'a', contentSha256: 'ef'.repeat(32), verifyRemote: true });
    });

    it('takes a new source alone, or a new relative path alone, for an already queued path (a reload remapped it)', () => {
      files.enqueue(input({ path: '/a', source: 'ros', relPath: 'x/a' }), 1000);
      const id = files.getByPath('/a')!.id;
      files.enqueue(input({ path: '/a', source: 'syslog', relPath: 'x/a' }), 2000);
      expect(files.get(id)).to.deep.include({ source: 'syslog', relPath: 'x/a' });
      files.enqueue(input({ path: '/a', source: 'syslog', relPath: 'a' }), 3000);
      expect(files.get(id)).to.deep.include({ source: 'syslog', relPath: 'a' });
    });

    it('sets verify_remote on an already queued path when asked', () => {
      files.enqueue(input({ path: '/a' }), 1000);
      files.enqueue(input({ path: '/a', verifyRemote: true }), 2000);
      expect(files.getByPath('/a')!.verifyRemote).to.equal(true);
    });

    it('sets verify_remote on an already queued path when that is the only change', () => {
      const f = input({ path: '/a' });
      files.enqueue(f, 1000);
      files.enqueue({ ...f, verifyRemote: true }, 2000);
      expect(files.getByPath('/a')!.verifyRemote).to.equal(true);
    });

    it('leaves an in-flight path in flight', () => {
      files.enqueue(input({ path: '/a' }), 1000);
      files.claimNext(1000);
      expect(files.enqueue(input({ path: '/a', size: 999 }), 2000)).to.equal('already-queued');
      expect(files.getByPath('/a')).to.deep.include({ status: 'in_flight', size: 999 });
    });

    it('skips an uploaded path with the same identity without writing', () => {
      uploadedRow('/a');
      const before = totalChanges();
      expect(files.enqueue(input({ path: '/a' }), 9000)).to.equal('already-uploaded');
      expect(totalChanges()).to.equal(before);
    });

    it('treats mtimes less than a microsecond apart as the same identity, and 2 µs apart as different', () => {
      uploadedRow('/a');
      const m = 1_700_000_000_000.123;
      expect(files.enqueue(input({ path: '/a', mtimeMs: m + 0.0004 }), 9000)).to.equal('already-uploaded');
      expect(files.enqueue(input({ path: '/a', mtimeMs: m + 0.002 }), 9000)).to.equal('queued');
    });

    it('re-queues an uploaded path whose identity changed, forgetting the upload and any failure', () => {
      const up = uploadedRow('/a');
      expect(files.enqueue(input({ path: '/a', size: 101, verifyRemote: true }), 9000)).to.equal('queued');
      expect(files.get(up.id)).to.deep.include({
        status: 'queued', size: 101, attempts: 0, nextAttemptAt: 0, lastError: null, objectKey: null,
        uploadedAt: null, contentSha256: null, queuedAt: 9000, verifyRemote: true,
      });
    });
  });

  describe('enqueueMany', () => {
    it('applies enqueue to a batch in one transaction and returns each outcome', () => {
      uploadedRow('/up');
      files.enqueue(input({ path: '/q' }), 1);
      const up = files.getByPath('/up')!;
      const outcomes = files.enqueueMany(
        [input({ path: '/new' }), input({ path: '/q' }), input({ path: '/up', size: up.size, mtimeMs: up.mtimeMs })],
        7000,
      );
      expect(outcomes).to.deep.equal(['queued', 'already-queued', 'already-uploaded']);
      expect(files.getByPath('/new')!.queuedAt).to.equal(7000);
      expect(files.enqueueMany([], 1)).to.deep.equal([]);
    });

    it('writes nothing of a batch that fails half-way', () => {
      const pages = store.db.pragma('page_count', { simple: true }) as number;
      store.db.pragma(`max_page_count = ${pages + 2}`);
      const batch = Array.from({ length: 2000 }, (_, i) => input({ path: `/batch/${'p'.repeat(100)}/${i}` }));
      expect(() => files.enqueueMany(batch, 1)).to.throw(TvmError);
      expect(files.countByStatus().queued).to.equal(0);
    });
  });

  describe('outcomes', () => {
    it('markUploaded records the uploaded identity and drops multipart progress', () => {
      files.enqueue(input({ path: '/a' }), 1000);
      const r = files.claimNext(1000)!;
      files.markFailed(r.id, { error: 'x', code: 'E', nextAttemptAt: 0 });
      files.claimNext(1000);
      store.multipart.begin({ fileId: r.id, uploadId: 'u', objectKey: 'k', partSize: 5, uploadPath: '/s', sourceSha256: 'h', proof: PROOF, createdAt: 1 });
      expect(files.markUploaded(r.id, uploadedInfo({ size: 150, mtimeMs: 42 }))).to.equal('uploaded');
      expect(files.get(r.id)).to.deep.include({
        status: 'uploaded', objectKey: 'v1/2026-11-30/ros/a.log.gz', contentSha256: 'ab'.repeat(32), uploadedAt: 5000,
        size: 150, mtimeMs: 42, attempts: 0, lastError: null, lastErrorCode: null, verifyRemote: false,
      });
      expect(store.multipart.get(r.id)).to.equal(null);
    });

    it('markUploaded re-queues a file whose identity changed while it was being uploaded', () => {
      const claimedAs = input({ path: '/a', size: 100, mtimeMs: 10 });
      files.enqueue(claimedAs, 1000);
      const r = files.claimNext(1000)!;
      store.multipart.begin({ fileId: r.id, uploadId: 'u', objectKey: 'k', partSize: 5, uploadPath: '/s', sourceSha256: 'h', proof: PROOF, createdAt: 1 });
      files.setContentSha256(r.id, 'aa'.repeat(32));
      expect(files.enqueue({ ...claimedAs, size: 180, mtimeMs: 20 }, 2000)).to.equal('already-queued'); // appended meanwhile
      expect(files.markUploaded(r.id, uploadedInfo({ size: 100, mtimeMs: 10 }))).to.equal('requeued');
      expect(files.get(r.id)).to.deep.include({
        status: 'queued', size: 180, mtimeMs: 20, objectKey: null, uploadedAt: null, contentSha256: null, queuedAt: 1000, attempts: 0,
      });
      expect(store.multipart.get(r.id)).to.equal(null);
      // Claimed again and uploaded as it now is: recorded normally.
      const again = files.claimNext(3000)!;
      expect(files.markUploaded(again.id, uploadedInfo({ size: 180, mtimeMs: 20 }))).to.equal('uploaded');
    });

    it('markUploaded trusts the uploaded identity when nothing changed it during the flight', () => {
      files.enqueue(input({ path: '/a', size: 100, mtimeMs: 10 }), 1000);
      const r = files.claimNext(1000)!;
      // The uploader read a newer version than it claimed; the watcher has not reported it yet.
      expect(files.markUploaded(r.id, uploadedInfo({ size: 120, mtimeMs: 15 }))).to.equal('uploaded');
      expect(files.enqueue(input({ path: '/a', size: 120, mtimeMs: 15 }), 2000)).to.equal('already-uploaded');
    });

    it('markUploaded on a row removed meanwhile reports it gone', () => {
      expect(files.markUploaded(4242, uploadedInfo())).to.equal('gone');
    });

    it('markFailed re-queues with one more attempt, the error and the retry time', () => {
      files.enqueue(input({ path: '/a' }), 1000);
      const r = files.claimNext(1000)!;
      const failed = files.markFailed(r.id, { error: 'socket hang up', code: 'TVM_ERR_S3_TRANSIENT', nextAttemptAt: 4000.2 });
      expect(failed).to.deep.include({
        status: 'queued', attempts: 1, lastError: 'socket hang up', lastErrorCode: 'TVM_ERR_S3_TRANSIENT', nextAttemptAt: 4001,
      });
      files.claimNext(5000);
      expect(files.markFailed(r.id, { error: 'again', code: 'X', nextAttemptAt: -5 })).to.deep.include({ attempts: 2, nextAttemptAt: 0 });
    });

    it('markFailed on an unknown id is an INTERNAL error', () => {
      try {
        files.markFailed(999, { error: 'x', code: 'X', nextAttemptAt: 0 });
        expect.fail('should throw');
      } catch (err) {
        expect((err as TvmError).code).to.equal(ErrorCodes.INTERNAL);
        // A bug, not a condition a retry fixes; the message names the call and the row.
        expect((err as TvmError).retriability).to.equal('permanent');
        expect((err as TvmError).message).to.equal('markFailed: no file row with id 999');
      }
    });

    it('release puts an in-flight row back without counting an attempt, and ignores other rows', () => {
      files.enqueue(input({ path: '/a' }), 1000);
      const r = files.claimNext(1000)!;
      files.release(r.id);
      expect(files.get(r.id)).to.deep.include({ status: 'queued', attempts: 0 });
      const up = uploadedRow('/b');
      files.release(up.id);
      expect(files.get(up.id)!.status).to.equal('uploaded');
    });

    it('remove deletes the row and its multipart progress', () => {
      files.enqueue(input({ path: '/a' }), 1000);
      const r = files.getByPath('/a')!;
      store.multipart.begin({ fileId: r.id, uploadId: 'u', objectKey: 'k', partSize: 5, uploadPath: '/s', sourceSha256: 'h', proof: PROOF, createdAt: 1 });
      store.multipart.recordPart(r.id, { partNumber: 1, etag: '"e"', size: 5 });
      files.remove(r.id);
      expect(files.get(r.id)).to.equal(null);
      expect(files.getByPath('/a')).to.equal(null);
      expect(store.multipart.get(r.id)).to.equal(null);
      expect(store.db.prepare('SELECT COUNT(*) AS n FROM multipart_parts').get()).to.deep.equal({ n: 0 });
    });

    it('resetInFlight re-queues every in-flight row flagged to verify the remote first', () => {
      for (const p of ['/a', '/b', '/c']) files.enqueue(input({ path: p }), 1000);
      files.claimNext(1000);
      files.claimNext(1000);
      expect(files.resetInFlight()).to.equal(2);
      const rows = ['/a', '/b', '/c'].map((p) => files.getByPath(p)!);
      expect(rows.map((r) => r.status)).to.deep.equal(['queued', 'queued', 'queued']);
      expect(rows.map((r) => r.verifyRemote)).to.deep.equal([true, true, false]);
      expect(files.resetInFlight()).to.equal(0);
    });

    it('markVerifyRemote and setContentSha256 update just that row', () => {
      files.enqueue(input({ path: '/a' }), 1);
      files.enqueue(input({ path: '/b' }), 1);
      const a = files.getByPath('/a')!;
      files.markVerifyRemote(a.id);
      files.setContentSha256(a.id, '01'.repeat(32));
      expect(files.get(a.id)).to.deep.include({ verifyRemote: true, contentSha256: '01'.repeat(32) });
      expect(files.getByPath('/b')).to.deep.include({ verifyRemote: false, contentSha256: null });
    });
  });

  describe('queries', () => {
    it('counts rows per status in step with the table', () => {
      expect(files.countByStatus()).to.deep.equal({ queued: 0, inFlight: 0, uploaded: 0 });
      for (let i = 0; i < 6; i++) files.enqueue(input({ path: `/f${i}` }), i);
      const a = files.claimNext(10)!;
      files.claimNext(10);
      files.markUploaded(a.id, uploadedInfo());
      files.remove(files.getByPath('/f5')!.id);
      const actual = store.db.prepare('SELECT status, COUNT(*) AS n FROM files GROUP BY status').all();
      expect(actual).to.deep.equal([
        { status: 'in_flight', n: 1 },
        { status: 'queued', n: 3 },
        { status: 'uploaded', n: 1 },
      ]);
      expect(files.countByStatus()).to.deep.equal({ queued: 3, inFlight: 1, uploaded: 1 });
    });

    it('nextWakeAt is null when nothing is queued, 0 when something is due, else the earliest retry', () => {
      expect(files.nextWakeAt()).to.equal(null);
      files.enqueue(input({ path: '/a' }), 1);
      files.enqueue(input({ path: '/b' }), 2);
      expect(files.nextWakeAt()).to.equal(0);
      const a = files.claimNext(10)!;
      const b = files.claimNext(10)!;
      expect(files.nextWakeAt()).to.equal(null); // both in flight
      files.markFailed(a.id, { error: 'e', code: 'E', nextAttemptAt: 9000 });
      files.markFailed(b.id, { error: 'e', code: 'E', nextAttemptAt: 7000 });
      expect(files.nextWakeAt()).to.equal(7000);
    });

    it('oldestQueuedAt covers queued and in-flight rows but not uploaded ones', () => {
      expect(files.oldestQueuedAt()).to.equal(null);
      files.enqueue(input({ path: '/a' }), 100);
      files.enqueue(input({ path: '/b' }), 200);
      files.enqueue(input({ path: '/c' }), 300);
      const a = files.claimNext(1000)!;
      expect(files.oldestQueuedAt()).to.equal(100);
      files.markUploaded(a.id, uploadedInfo());
      expect(files.oldestQueuedAt()).to.equal(200);
    });

    it('pruneUploaded deletes only uploaded rows older than the cutoff, across several batches', () => {
      const ins = store.db.prepare(
        `INSERT INTO files (path, source, rel_path, size, mtime_ms, status, uploaded_at, queued_at) VALUES (?, 's', 'r', 1, 1, 'uploaded', ?, 0)`,
      );
      store.db.transaction(() => {
        for (let i = 0; i < 2500; i++) ins.run(`/old/${i}`, 1000 + i);
        for (let i = 0; i < 10; i++) ins.run(`/new/${i}`, 10_000 + i);
      })();
      files.enqueue(input({ path: '/queued' }), 0);
      expect(files.pruneUploaded(10_000, 20_000)).to.equal(2500);
      expect(files.countByStatus()).to.deep.equal({ queued: 1, inFlight: 0, uploaded: 10 });
      expect(files.pruneUploaded(10_000, 20_000)).to.equal(0);
    });

    it('does not queue a pruned file again while it is unchanged on disk (rescan after retention)', () => {
      const f = input({ path: '/logs/kept.log' });
      files.enqueue(f, 0);
      const row = files.claimNext(1)!;
      files.markUploaded(row.id, uploadedInfo({ size: f.size, mtimeMs: f.mtimeMs, uploadedAt: 100 }));
      expect(files.pruneUploaded(1000, 2000)).to.equal(1);
      expect(files.getByPath(f.path)).to.equal(null);
      expect(files.enqueue(f, 3000)).to.equal('already-uploaded');
      expect(files.enqueueMany([f], 3000)).to.deep.equal(['already-uploaded']);
      expect(files.countByStatus().queued).to.equal(0);
    });

    it('queues a pruned file again once it changed, and forgets its tombstone', () => {
      const f = input({ path: '/logs/changed.log' });
      files.enqueue(f, 0);
      files.markUploaded(files.claimNext(1)!.id, uploadedInfo({ size: f.size, mtimeMs: f.mtimeMs, uploadedAt: 100 }));
      files.pruneUploaded(1000, 2000);
      expect(files.enqueue({ ...f, size: f.size + 1 }, 3000)).to.equal('queued');
      expect(store.db.prepare('SELECT COUNT(*) AS n FROM tombstones').get()).to.deep.equal({ n: 0 });
    });

    it('keeps a tombstone for a year: housekeeping expiry drops one pruned 366 days ago, not one pruned 364 days ago', () => {
      const DAY = 24 * 3600 * 1000;
      const now = 1_000 * DAY;
      files.importTombstone({ path: '/old', size: 1, mtimeMs: 1 }, now - 366 * DAY);
      files.importTombstone({ path: '/recent', size: 1, mtimeMs: 1 }, now - 364 * DAY);
      expect(files.expireTombstones(now - TOMBSTONE_RETENTION_MS)).to.equal(1);
      expect(files.enqueue(input({ path: '/recent', size: 1, mtimeMs: 1 }), now)).to.equal('already-uploaded');
      expect(files.enqueue(input({ path: '/old', size: 1, mtimeMs: 1 }), now)).to.equal('queued');
    });

    it('expires tombstones older than the cutoff; an imported one never shadows a known row', () => {
      expect(files.importTombstone({ path: '/a', size: 1, mtimeMs: 1 }, 100)).to.equal(true);
      expect(files.importTombstone({ path: '/a', size: 2, mtimeMs: 2 }, 100)).to.equal(false);
      files.enqueue(input({ path: '/b' }), 0);
      expect(files.importTombstone({ path: '/b', size: 1, mtimeMs: 1 }, 100)).to.equal(false);
      expect(files.enqueue(input({ path: '/a', size: 1, mtimeMs: 1 }), 200)).to.equal('already-uploaded');
      expect(files.expireTombstones(101)).to.equal(1);
      expect(files.enqueue(input({ path: '/a', size: 1, mtimeMs: 1 }), 200)).to.equal('queued');
    });

    it('iterates every queued row oldest first, page by page, while the caller removes rows', () => {
      store.db.transaction(() => {
        for (let i = 0; i < 1203; i++) files.enqueue(input({ path: `/q/${i}` }), 5000 - (i % 7)); // ties on queued_at
      })();
      const up = uploadedRow('/up');
      const seen: number[] = [];
      let last: [number, number] = [-Infinity, 0];
      for (const r of files.iterateQueued()) {
        expect(r.status).to.equal('queued');
        expect(r.queuedAt > last[0] || (r.queuedAt === last[0] && r.id > last[1])).to.equal(true);
        last = [r.queuedAt, r.id];
        seen.push(r.id);
        if (r.id % 2 === 0) files.remove(r.id);
      }
      expect(seen).to.have.length(1203);
      expect(new Set(seen).size).to.equal(1203);
      expect(seen).to.not.include(up.id);
      expect(files.countByStatus().queued).to.equal(1203 - seen.filter((id) => id % 2 === 0).length);
    });

    it('importUploaded inserts a registry row once and never overwrites a known path', () => {
      const row = { path: '/r', source: 'ros', relPath: 'r', size: 3, mtimeMs: 4, uploadedAt: 5, objectKey: null };
      expect(files.importUploaded(row)).to.equal(true);
      expect(files.getByPath('/r')).to.deep.include({ status: 'uploaded', size: 3, mtimeMs: 4, uploadedAt: 5, queuedAt: 5, objectKey: null });
      expect(files.importUploaded({ ...row, size: 9 })).to.equal(false);
      expect(files.getByPath('/r')!.size).to.equal(3);
    });
  });

  it('makes every file waiting for a retry due now for a pass asked for by hand, and leaves the rest alone', () => {
    files.enqueue(input({ path: '/logs/ros/a.log' }), 1000);
    files.enqueue(input({ path: '/logs/ros/b.log' }), 1000);
    const a = files.claimNext(1000, { exclude: new Set(), queuedSince: null })!;
    files.markFailed(a.id, { error: 'denied', code: ErrorCodes.S3_ACCESS_DENIED, nextAttemptAt: 1000 + 86_400_000 });
    expect(files.nextWakeAt()).to.equal(0);
    const b = files.claimNext(1000, { exclude: new Set([a.path]), queuedSince: null })!;
    files.markFailed(b.id, { error: 'timeout', code: ErrorCodes.S3_TRANSIENT, nextAttemptAt: 5000 });
    expect(files.nextWakeAt()).to.equal(5000);
    expect(files.retryAllNow()).to.equal(2);
    expect(files.nextWakeAt()).to.equal(0);
    expect(files.get(a.id)).to.deep.include({ status: 'queued', attempts: 1, nextAttemptAt: 0, lastErrorCode: ErrorCodes.S3_ACCESS_DENIED });
    expect(files.retryAllNow()).to.equal(0);
  });
});
