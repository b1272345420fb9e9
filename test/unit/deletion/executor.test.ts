import { expect } from 'chai';
import { mkdirSync, rmSync } from 'node:fs';
import { buildDeletion } from '../../../src/deletion/build.js';
import { deletionStatus, formatDeletionStatus } from '../../../src/deletion/status.js';
import { LAST_PASS_KEY } from '../../../src/deletion/pass.js';
import { capturingLogger } from '../state/helpers.js';
import { DAY, Harness } from './harness.js';

describe('deletion/executor', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: false } } });
  });
  afterEach(() => h.close());

  function executor(unlink: (p: string) => void) {
    const { logger, lines } = capturingLogger();
    const d = buildDeletion({
      config: h.config, db: h.store.db, dbPath: h.store.dbPath, enqueue: () => undefined, telemetry: h.telemetry, logger,
      now: () => h.now, dryRun: false, diskIo: h.io, deleteFs: { unlink, rmdir: () => undefined },
    });
    return { ex: d.pass.executor, repo: d.repo, lines };
  }

  it('keeps the row and logs a warning when the file cannot be unlinked', () => {
    const p = h.uploaded('a.log', 10, DAY);
    const { ex, repo, lines } = executor(() => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    });
    const row = h.store.files.getByPath(p)!;
    expect(ex.tryDelete(row, 'after_upload', 'r', false)).to.deep.equal({ skipped: 'unlink-failed' });
    expect(h.store.files.getByPath(p)?.status).to.equal('uploaded');
    expect(repo.recentAudit(5)).to.have.length(0);
    expect(lines.find((l) => l.level === 'warn')?.msg).to.equal('cannot delete local file; it is kept');
  });

  it('forgets an uploaded row whose file vanished between the check and the unlink', () => {
    const p = h.uploaded('a.log', 10, DAY);
    const { ex, repo } = executor(() => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    });
    expect(ex.tryDelete(h.store.files.getByPath(p)!, 'after_upload', 'r', false)).to.deep.equal({ skipped: 'gone' });
    expect(h.store.files.getByPath(p)).to.equal(null);
    expect(repo.recentAudit(5)).to.have.length(0);
  });

  it('keeps the row of a queued file the safety layers refuse: the refusal never forgets a log still to upload', () => {
    const q = h.queued('q.log', 10, DAY);
    const { ex } = executor(() => expect.fail('nothing may be unlinked'));
    expect(ex.tryDelete(h.store.files.getByPath(q)!, 'after_upload', 'r', false)).to.deep.equal({ skipped: 'not-uploaded' });
    expect(h.store.files.getByPath(q)?.status).to.equal('queued');
    // Replaced by a directory while queued: still not the executor's to forget (the dispatcher
    // decides what a queued path that is no file means).
    rmSync(q);
    mkdirSync(q);
    expect(ex.tryDelete(h.store.files.getByPath(q)!, 'emergency', 'r', true)).to.deep.equal({ skipped: 'not-a-regular-file' });
    expect(h.store.files.getByPath(q)?.status).to.equal('queued');
    // Gone altogether: an uploaded row would be forgotten here; a queued one stays.
    rmSync(q, { recursive: true });
    expect(ex.tryDelete(h.store.files.getByPath(q)!, 'emergency', 'r', true)).to.deep.equal({ skipped: 'not-a-regular-file' });
    expect(h.store.files.getByPath(q)?.status).to.equal('queued');
  });

  it('keeps the row of an uploaded file it refuses for any reason but a vanished file', () => {
    const p = h.uploaded('fresh.log', 10, 0); // modified just now
    const { ex } = executor(() => expect.fail('nothing may be unlinked'));
    const attempt = ex.tryDelete(h.store.files.getByPath(p)!, 'after_upload', 'r', false);
    expect(attempt).to.deep.equal({ skipped: 'recently-modified' });
    expect(h.store.files.getByPath(p)?.status, 'a forgotten row would be uploaded again').to.equal('uploaded');
  });

  it('refuses to delete as unrecorded a file the state store has recorded meanwhile', () => {
    const q = h.queued('late.log', 10, 30 * DAY);
    const { ex, repo } = executor(() => expect.fail('nothing may be unlinked'));
    expect(ex.tryDeleteUnrecorded({ path: q, source: 'ros' }, 'emergency', 'r')).to.deep.equal({ skipped: 'gone' });
    expect(h.exists(q)).to.equal(true);
    expect(repo.recentAudit(5)).to.have.length(0);
  });

  it('a dry run changes no state: a file changed since its upload is not queued again', () => {
    const p = h.uploaded('grown.log', 10, DAY);
    h.uploaded('grown.log', 20, DAY - 1000);
    h.store.db.prepare('UPDATE files SET size = 10 WHERE path = ?').run(p);
    const requeued: string[] = [];
    const d = buildDeletion({
      config: h.config, db: h.store.db, dbPath: h.store.dbPath, enqueue: (i) => void requeued.push(i.path), telemetry: h.telemetry, logger: capturingLogger().logger,
      now: () => h.now, dryRun: true, diskIo: h.io,
    });
    expect(d.pass.executor.tryDelete(h.store.files.getByPath(p)!, 'after_upload', 'r', false)).to.deep.equal({ skipped: 'changed-since-upload' });
    expect(requeued).to.deep.equal([]);
    expect(h.store.files.getByPath(p)).to.include({ status: 'uploaded', size: 10 });
  });

  it('skips a candidate whose row is gone or now belongs to another path', () => {
    const p = h.uploaded('a.log', 10, DAY);
    const { ex } = executor(() => undefined);
    const row = h.store.files.getByPath(p)!;
    expect(ex.tryDelete({ ...row, path: '/elsewhere' }, 'after_upload', 'r', false)).to.deep.equal({ skipped: 'gone' });
    h.store.files.remove(row.id);
    expect(ex.tryDelete(row, 'after_upload', 'r', false)).to.deep.equal({ skipped: 'gone' });
  });
});

describe('deletion/status', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('reports usage per filesystem, what is deletable now, and the last pass', async () => {
    h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: false } } });
    h.uploaded('a.log', 1000, DAY);
    h.store.meta.set(LAST_PASS_KEY, JSON.stringify({ at: 0, trigger: 'timer', deleted: 3, bytes: 4096, notUploaded: 1 }));
    const s = await deletionStatus(h.build(true).pass);
    expect(s.deletableNow).to.deep.equal({ files: 1, bytes: 1000, notUploaded: 0 });
    expect(s.lastPass).to.deep.equal({ at: 0, trigger: 'timer', deleted: 3, bytes: 4096, notUploaded: 1 });
    expect(s.filesystems[0]).to.include({ path: h.logs, pressure: 'normal' });
    const text = formatDeletionStatus({ ...s, deletableNow: { ...s.deletableNow, notUploaded: 2 } }).join('\n');
    expect(text).to.include('deleted:   3 files, 0.00 GiB in the last pass (timer, 1970-01-01T00:00:00.000Z)');
    expect(text).to.include('(2 NOT uploaded)');
    expect(h.exists(`${h.logs}/a.log`)).to.equal(true);
  });

  it('treats an unreadable last-pass record as none, and refuses a real executor', async () => {
    h = new Harness();
    h.store.meta.set(LAST_PASS_KEY, '{not json');
    expect((await deletionStatus(h.build(true).pass)).lastPass).to.equal(null);
    h.store.meta.set(LAST_PASS_KEY, '{"trigger":"x"}');
    expect((await deletionStatus(h.build(true).pass)).lastPass).to.equal(null);
    let err: unknown = null;
    await deletionStatus(h.build(false).pass).catch((e: unknown) => (err = e));
    expect(String(err)).to.contain('dry-run');
  });
});
