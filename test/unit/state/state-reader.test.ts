import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StateReader } from '../../../src/state/state-reader.js';
import { DB_FILE, type StateStore } from '../../../src/state/store.js';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { closeAndRemove, removeDir, storeInTempDir, tempDir } from './helpers.js';

const T0 = 1_700_000_000_000;

describe('state/state-reader (read-only inspection)', () => {
  let dir: string;
  let store: StateStore;
  beforeEach(() => ({ dir, store } = storeInTempDir({ now: () => T0 }, 'tvm-reader-')));
  afterEach(() => closeAndRemove(store, dir));

  function enqueue(name: string, size: number, at: number): void {
    store.files.enqueue({ path: `/logs/${name}`, source: 'ros', relPath: name, size, mtimeMs: 1 }, at);
  }

  it('reports counts, pending bytes and the oldest pending file while the daemon holds the store', () => {
    enqueue('a.log', 100, T0 - 5000);
    enqueue('b.log', 250, T0 - 1000);
    enqueue('c.log', 7, T0);
    const claimed = store.files.claimNext(T0, { exclude: new Set(), queuedSince: null })!;
    const reader = StateReader.open(dir);
    try {
      expect(reader.queue()).to.deep.equal({ queued: 2, inFlight: 1, uploaded: 0, bytesPending: 357, oldestPendingAt: T0 - 5000 });
      expect(reader.inFlight()).to.deep.equal([{ path: claimed.path, size: claimed.size, bytesConfirmed: 0, uploadBytes: null }]);
    } finally {
      reader.close();
    }
  });

  it('shows multipart progress of an upload in flight, confirmed part by part', () => {
    enqueue('big.log', 30, T0);
    const rec = store.files.claimNext(T0, { exclude: new Set(), queuedSince: null })!;
    const spool = join(dir, 'spool.gz');
    writeFileSync(spool, Buffer.alloc(20));
    store.multipart.begin({ fileId: rec.id, uploadId: 'u1', objectKey: 'k', partSize: 8, uploadPath: spool, sourceSha256: 'x', createdAt: T0, proof: { codec: 'gzip', codecLevel: 6, codecVersion: 'test', outputSha256: 'y' } });
    store.multipart.recordPart(rec.id, { partNumber: 1, etag: '"e1"', size: 8 });
    store.multipart.recordPart(rec.id, { partNumber: 2, etag: '"e2"', size: 8 });
    const reader = StateReader.open(dir);
    try {
      expect(reader.inFlight()).to.deep.equal([{ path: '/logs/big.log', size: 30, bytesConfirmed: 16, uploadBytes: 20 }]);
    } finally {
      reader.close();
    }
  });

  it('lists retrying files and what was uploaded since a time', () => {
    enqueue('bad.log', 5, T0);
    enqueue('good.log', 9, T0);
    const bad = store.files.claimNext(T0, { exclude: new Set(), queuedSince: null })!;
    const good = store.files.claimNext(T0, { exclude: new Set([bad.source]), queuedSince: null }) ?? store.files.claimNext(T0, { exclude: new Set(), queuedSince: null })!;
    store.files.markFailed(bad.id, { error: 'denied', code: ErrorCodes.S3_ACCESS_DENIED, nextAttemptAt: T0 + 60_000 });
    store.files.markUploaded(good.id, { objectKey: 'v/ros/good.log.gz', contentSha256: 'h', uploadedAt: T0 + 10, size: 9, mtimeMs: 1 });
    const reader = StateReader.open(dir);
    try {
      expect(reader.retrying()).to.deep.equal([{ path: '/logs/bad.log', attempts: 1, code: ErrorCodes.S3_ACCESS_DENIED, error: 'denied', nextAttemptAt: T0 + 60_000 }]);
      expect(reader.uploadedSince(T0)).to.deep.equal({ files: 1, bytes: 9 });
      expect(reader.uploadedSince(T0 + 11)).to.deep.equal({ files: 0, bytes: 0 });
      expect(reader.uploadedFilesSince(T0)).to.deep.equal([{ path: '/logs/good.log', objectKey: 'v/ros/good.log.gz', size: 9, uploadedAt: T0 + 10 }]);
      store.meta.set('k', 'v');
      expect(reader.meta('k')).to.equal('v');
      expect(reader.meta('missing')).to.equal(null);
    } finally {
      reader.close();
    }
  });

  it('never writes: a change through the reader\'s connection is refused', () => {
    const reader = StateReader.open(dir);
    try {
      expect(() => (reader as unknown as { db: Database.Database }).db.exec("INSERT INTO meta VALUES ('x', 'y')")).to.throw(/readonly/i);
    } finally {
      reader.close();
    }
  });

  it('names the path when there is no database yet', () => {
    const empty = tempDir('tvm-reader-empty-');
    try {
      expect(() => StateReader.open(empty)).to.throw(TvmError, join(empty, DB_FILE));
    } finally {
      removeDir(empty);
    }
  });

  it('refuses a database written by a newer release', () => {
    const db = new Database(join(dir, DB_FILE));
    db.pragma('user_version = 999');
    db.close();
    try {
      StateReader.open(dir);
      expect.fail('should refuse');
    } catch (err) {
      expect((err as TvmError).code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
      expect((err as TvmError).message).to.include('schema version 999');
    }
  });

  it('reads through a connection it does not own without closing it', () => {
    const reader = StateReader.over(store.db, store.dbPath);
    reader.close();
    expect(store.db.open).to.equal(true);
    expect(reader.queue().queued).to.equal(0);
  });
});
