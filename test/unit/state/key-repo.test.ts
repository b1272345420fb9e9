import { expect } from 'chai';
import { MAX_KEY_VERSIONS } from '../../../src/state/key-repo.js';
import { versionedKey } from '../../../src/state/key-version.js';
import type { StateStore } from '../../../src/state/store.js';
import { caught } from '../../support/caught.js';
import { closeAndRemove, input, migratedDb, open, storeInTempDir, tempDir } from './helpers.js';

describe('KeyRepo (object key versions)', () => {
  let dir: string;
  let store: StateStore;
  const A = 'aa'.repeat(32);
  const B = 'bb'.repeat(32);
  const C = 'cc'.repeat(32);
  const base = 'v/2026-11-30/syslog/syslog.1.gz';

  beforeEach(() => ({ dir, store } = storeInTempDir()));
  afterEach(() => closeAndRemove(store, dir));

  /** Issues a key and records it as uploaded, like the upload job does. */
  function upload(path: string, sha: string, key = base): string {
    store.files.enqueue(input({ path }), 1);
    const row = store.files.getByPath(path)!;
    const issued = store.keys.issue({ base: key, sourceSha256: sha, path, now: 10 });
    store.files.markUploaded(row.id, { objectKey: issued.key, contentSha256: sha, uploadedAt: 20, size: 100, mtimeMs: 1_700_000_000_000.123 });
    return issued.key;
  }

  it('gives the first content of a path the reference key', () => {
    expect(store.keys.issue({ base, sourceSha256: A, path: '/l/syslog.1', now: 1 })).to.deep.equal({ key: base, stored: false, unconfirmed: false });
  });

  it('gives later different content of the same path and date the next versions', () => {
    expect(upload('/l/syslog.1', A)).to.equal(base);
    expect(upload('/l/syslog.1', B)).to.equal('v/2026-11-30/syslog/syslog.1~0002.gz');
    expect(upload('/l/syslog.1', C)).to.equal('v/2026-11-30/syslog/syslog.1~0003.gz');
  });

  it('gives a second file mapping to a taken key (app.log compressed vs a real app.log.gz) its own version', () => {
    expect(upload('/l/app.log', A, 'v/d/ros/app.log.gz')).to.equal('v/d/ros/app.log.gz');
    expect(upload('/l/app.log.gz', B, 'v/d/ros/app.log.gz')).to.equal('v/d/ros/app.log~0002.gz');
  });

  it('answers identical content of a path with the key that already holds it: nothing to send', () => {
    upload('/l/syslog.1', A);
    upload('/l/syslog.1', B);
    expect(store.keys.issue({ base, sourceSha256: A, path: '/l/syslog.1', now: 30 })).to.deep.equal({ key: base, stored: true, unconfirmed: false });
    // Even under another date folder (the file was touched on a later day, not changed).
    expect(store.keys.issue({ base: 'v/2026-12-01/syslog/syslog.1.gz', sourceSha256: B, path: '/l/syslog.1', now: 30 }).key)
      .to.equal('v/2026-11-30/syslog/syslog.1~0002.gz');
  });

  it('keeps one key for a file that only grew: the last stored key of the path is replaced', () => {
    expect(upload('/l/app.log', A)).to.equal(base);
    expect(store.keys.lastStored('/l/app.log')).to.deep.equal({ key: base, sourceSha256: A, sourceSize: 100 });
    expect(store.keys.issue({ base, sourceSha256: B, path: '/l/app.log', now: 30, grows: base })).to.deep.equal({
      key: base, stored: false, unconfirmed: false, replaces: A,
    });
  });

  it('never replaces for growth a key of another date folder, another path or unknown content', () => {
    upload('/l/app.log', A);
    const otherDay = 'v/2026-12-01/syslog/syslog.1.gz';
    expect(store.keys.issue({ base: otherDay, sourceSha256: B, path: '/l/app.log', now: 30, grows: base }).key).to.equal(otherDay);
    expect(store.keys.issue({ base, sourceSha256: C, path: '/l/other.log', now: 30, grows: base }).key).to.equal('v/2026-11-30/syslog/syslog.1~0002.gz');
    store.keys.markTaken('v/x.gz', '', 1);
    expect(store.keys.issue({ base: 'v/x.gz', sourceSha256: C, path: '/l/x', now: 30, grows: 'v/x.gz' }).key).to.equal('v/x~0002.gz');
  });

  it('never replaces for growth a key that is only reserved, or stored with content it does not know', () => {
    // Reserved, never confirmed stored: the reservation is reused (checked in S3 first), not replaced.
    store.keys.issue({ base, sourceSha256: A, path: '/l/r', now: 1 });
    expect(store.keys.issue({ base, sourceSha256: B, path: '/l/r', now: 2, grows: base })).to.deep.equal({ key: base, stored: false, unconfirmed: true });

    // Stored by a version-1 database, which kept no content hash: growth cannot be proven.
    closeAndRemove(store, dir);
    dir = tempDir();
    const v1 = migratedDb(dir, 1);
    v1.prepare(`INSERT INTO files (path, source, rel_path, size, mtime_ms, status, queued_at, object_key, content_sha256, uploaded_at)
      VALUES ('/l/old', 'ros', 'old', 1, 1, 'uploaded', 1, 'v/d/ros/old.gz', NULL, 1)`).run();
    v1.close();
    store = open(dir);
    expect(store.keys.issue({ base: 'v/d/ros/old.gz', sourceSha256: B, path: '/l/old', now: 2, grows: 'v/d/ros/old.gz' })).to.deep.equal({
      key: 'v/d/ros/old~0002.gz', stored: false, unconfirmed: false,
    });
  });

  it('records the new bytes on a reclaimed reservation: the same bytes again are that reservation, not a new reclaim', () => {
    store.keys.issue({ base, sourceSha256: A, path: '/l/x', now: 1 });
    expect(store.keys.issue({ base, sourceSha256: B, path: '/l/x', now: 2 }).unconfirmed).to.equal(true);
    expect(store.keys.issue({ base, sourceSha256: B, path: '/l/x', now: 3 })).to.deep.equal({ key: base, stored: false, unconfirmed: false });
  });

  it(`issues up to version ${MAX_KEY_VERSIONS} of a key, then fails with a permanent error naming it`, () => {
    const taken = store.db.prepare(`INSERT INTO object_keys (key, source_sha256, path, stored, issued_at) VALUES (?, '', '', 1, 1)`);
    store.db.transaction(() => {
      for (let n = 1; n < MAX_KEY_VERSIONS; n++) taken.run(versionedKey(base, n));
    })();
    expect(store.keys.issue({ base, sourceSha256: A, path: '/l/x', now: 2 }).key).to.equal(versionedKey(base, MAX_KEY_VERSIONS));
    const e = caught(() => store.keys.issue({ base, sourceSha256: B, path: '/l/y', now: 3 }));
    expect(e.retriability).to.equal('permanent');
    expect(e.message).to.equal(`no free version of object key ${base} after ${MAX_KEY_VERSIONS} tries`);
    expect(e.details).to.deep.equal({ key: base, path: '/l/y' });
  });

  it('issues the same reservation again for a retry of the same bytes', () => {
    const first = store.keys.issue({ base, sourceSha256: A, path: '/l/x', now: 1 });
    expect(store.keys.issue({ base, sourceSha256: A, path: '/l/x', now: 2 })).to.deep.equal(first);
  });

  it('reuses an unconfirmed reservation of the same path for new bytes, flagged to be checked in S3 first', () => {
    store.keys.issue({ base, sourceSha256: A, path: '/l/x', now: 1 });
    expect(store.keys.issue({ base, sourceSha256: B, path: '/l/x', now: 2 })).to.deep.equal({ key: base, stored: false, unconfirmed: true });
  });

  it('never hands out another path\'s reservation', () => {
    store.keys.issue({ base, sourceSha256: A, path: '/l/x', now: 1 });
    expect(store.keys.issue({ base, sourceSha256: B, path: '/l/y', now: 2 }).key).to.equal('v/2026-11-30/syslog/syslog.1~0002.gz');
  });

  it('skips a key found taken on the server, also when its content is unknown', () => {
    store.keys.issue({ base, sourceSha256: A, path: '/l/x', now: 1 });
    store.keys.markTaken(base, '', 2);
    expect(store.keys.issue({ base, sourceSha256: A, path: '/l/x', now: 3 }).key).to.equal('v/2026-11-30/syslog/syslog.1~0002.gz');
  });

  it('records the key as stored even when the row was re-queued by a change during the upload', () => {
    store.files.enqueue(input({ path: '/l/g', size: 100 }), 1);
    const row = store.files.claimNext(2)!;
    store.files.enqueue(input({ path: '/l/g', size: 200 }), 3);
    const key = store.keys.issue({ base, sourceSha256: A, path: '/l/g', now: 4 }).key;
    expect(store.files.markUploaded(row.id, { objectKey: key, contentSha256: A, uploadedAt: 5, size: 100, mtimeMs: row.mtimeMs })).to.equal('requeued');
    expect(store.keys.issue({ base, sourceSha256: B, path: '/l/g', now: 6 }).key).to.equal('v/2026-11-30/syslog/syslog.1~0002.gz');
  });

  it('keeps the keys of a database upgraded from version 1 as stored', () => {
    closeAndRemove(store, dir);
    dir = tempDir();
    const v1 = migratedDb(dir, 1);
    v1.prepare(`INSERT INTO files (path, source, rel_path, size, mtime_ms, status, queued_at, object_key, content_sha256, uploaded_at)
      VALUES ('/l/old', 'ros', 'old', 1, 1, 'uploaded', 1, 'v/d/ros/old.gz', ?, 1)`).run(A);
    v1.close();
    store = open(dir);
    expect(store.keys.issue({ base: 'v/d/ros/old.gz', sourceSha256: A, path: '/l/old', now: 2 })).to.deep.equal({ key: 'v/d/ros/old.gz', stored: true, unconfirmed: false });
    expect(store.keys.issue({ base: 'v/d/ros/old.gz', sourceSha256: B, path: '/l/old', now: 2 }).key).to.equal('v/d/ros/old~0002.gz');
  });

  it('forgets keys issued before the retention cutoff', () => {
    store.keys.issue({ base, sourceSha256: A, path: '/l/x', now: 1 });
    store.keys.markTaken('v/other', '', 100);
    expect(store.keys.prune(50)).to.equal(1);
    expect(store.keys.issue({ base, sourceSha256: B, path: '/l/y', now: 200 }).key).to.equal(base);
  });
});
