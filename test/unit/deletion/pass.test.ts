import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildDeletion } from '../../../src/deletion/build.js';
import { openStateStore } from '../../../src/state/store.js';
import { Telemetry } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { runDeletionPass } from '../../../src/deletion/pass.js';
import { DAY, Harness, MIB } from './harness.js';
import { emergencyOnlyConfig, filesDiskIo, writeFile } from './helpers.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

describe('deletion/pass', () => {
  let h: Harness;
  afterEach(() => h?.close());

  describe('after_upload', () => {
    it('keep_days 0 deletes every uploaded file, keeps queued ones, records an audit row and forgets the row', async () => {
      h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: false } } });
      const up = h.uploaded('run1/a.log', 1000, DAY);
      const q = h.queued('run1/b.log', 1000, DAY);
      const report = await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(h.exists(up)).to.equal(false);
      expect(h.exists(q)).to.equal(true);
      expect(report.deletedCount).to.equal(1);
      expect(report.entries[0]).to.include({ path: up, policy: 'after_upload', uploaded: true, size: 1000 });
      expect(h.store.files.getByPath(up)).to.equal(null);
      const audit = h.build().repo.recentAudit(10);
      expect(audit).to.have.length(1);
      expect(audit[0]).to.include({ path: up, policy: 'after_upload', uploaded: true, size: 1000, objectKey: 'v1/run1/a.log' });
    });

    it('keep_days N counts from the upload time, not the file mtime', async () => {
      h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 2 }, age_based: { enabled: false } } });
      const lateUpload = h.uploaded('old-but-just-uploaded.log', 10, 30 * DAY, DAY);
      const due = h.uploaded('due.log', 10, 4 * DAY, 3 * DAY);
      await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(h.exists(lateUpload)).to.equal(true);
      expect(h.exists(due)).to.equal(false);
      h.now += 1.01 * DAY;
      await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(h.exists(lateUpload)).to.equal(false);
    });

    it('never deletes twice: a second pass finds nothing', async () => {
      h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: false } } });
      h.uploaded('a.log', 10, DAY);
      await runDeletionPass(h.build().pass, { trigger: 'timer' });
      const again = await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(again.deletedCount).to.equal(0);
      expect(h.deletedPaths()).to.have.length(1);
    });

    it('queues a file again instead of deleting it when it changed since the upload', async () => {
      h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: false } } });
      const p = h.uploaded('grown.log', 10, DAY);
      h.uploaded('grown.log', 20, DAY - 1000); // rewritten: the registry still has the 10-byte identity
      h.store.db.prepare('UPDATE files SET size = 10 WHERE path = ?').run(p);
      await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(h.exists(p)).to.equal(true);
      expect(h.store.files.getByPath(p)).to.include({ status: 'queued', size: 20 });
    });

    it('removes subdirectories the deletion emptied, never the watched root', async () => {
      h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: false } } });
      const deep = h.uploaded('run1/nested/a.log', 10, DAY);
      const top = h.uploaded('b.log', 10, DAY);
      const kept = h.queued('run2/keep.log', 10, DAY);
      const other = h.uploaded('run2/gone.log', 10, DAY);
      await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect([deep, top, other].map((p) => h.exists(p))).to.deep.equal([false, false, false]);
      expect(existsSync(join(h.logs, 'run1'))).to.equal(false);
      expect(existsSync(dirname(kept))).to.equal(true);
      expect(existsSync(h.logs)).to.equal(true);
    });

    it('an upload-triggered pass looks only at rows uploaded since the last one, and only with keep_days 0', async () => {
      h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: false } } });
      const before = h.uploaded('before.log', 10, DAY, 10_000);
      const fresh = h.uploaded('fresh.log', 10, DAY, 1_000);
      await runDeletionPass(h.build().pass, { trigger: 'upload', uploadedSince: h.now - 5_000 });
      expect(h.exists(fresh)).to.equal(false);
      expect(h.exists(before)).to.equal(true);
    });

    it('leaves rows of directories with allow_deletion: false alone', async () => {
      h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: false } }, dir: { allow_deletion: false } });
      const p = h.uploaded('a.log', 10, DAY);
      const r = await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(r.deletedCount).to.equal(0);
      expect(h.exists(p)).to.equal(true);
    });

    it('deletes nothing while deletion.after_upload is disabled, however long ago the upload', async () => {
      h = new Harness({ deletion: { after_upload: { enabled: false, keep_days: 0 }, age_based: { enabled: false } } });
      const p = h.uploaded('a.log', 10, 400 * DAY);
      for (const trigger of ['timer', 'upload', 'cleanup'] as const) {
        const r = await runDeletionPass(h.build().pass, { trigger, uploadedSince: 0 });
        expect(r.deletedCount, trigger).to.equal(0);
      }
      expect(h.exists(p)).to.equal(true);
      expect(h.store.files.getByPath(p)?.status).to.equal('uploaded');
    });

    it('forgets an uploaded row whose file someone else already removed', async () => {
      h = new Harness({ deletion: { after_upload: { enabled: true, keep_days: 0 }, age_based: { enabled: false } } });
      const p = h.uploaded('a.log', 10, DAY);
      (await import('node:fs')).rmSync(p);
      const r = await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(r.deletedCount).to.equal(0);
      expect(h.store.files.getByPath(p)).to.equal(null);
      expect(h.build().repo.recentAudit(5)).to.have.length(0);
    });
  });

  describe('age_based', () => {
    const AGE = { after_upload: { enabled: false }, age_based: { enabled: true, max_age_days: 7, schedule_time: '02:00' } };

    it('deletes uploaded files older than max_age_days, oldest first, and keeps files not uploaded', async () => {
      h = new Harness({ deletion: AGE });
      const newer = h.uploaded('newer.log', 10, 8 * DAY, DAY);
      const oldest = h.uploaded('oldest.log', 10, 9 * DAY, DAY);
      const young = h.uploaded('young.log', 10, 6 * DAY, DAY);
      const queued = h.queued('queued.log', 10, 20 * DAY);
      const r = await runDeletionPass(h.build().pass, { trigger: 'start' });
      expect(r.ageBasedRan).to.equal(true);
      expect(r.entries.map((e) => e.path)).to.deep.equal([oldest, newer]);
      expect(h.exists(young)).to.equal(true);
      expect(h.exists(queued)).to.equal(true);
    });

    it('with include_not_uploaded also deletes old queued files, each audited as not uploaded', async () => {
      h = new Harness({ deletion: { ...AGE, age_based: { ...AGE.age_based, include_not_uploaded: true } } });
      const queued = h.queued('queued.log', 10, 20 * DAY);
      const r = await runDeletionPass(h.build().pass, { trigger: 'start' });
      expect(h.exists(queued)).to.equal(false);
      expect(r.notUploadedCount).to.equal(1);
      const [audit] = h.build().repo.recentAudit(1);
      expect(audit).to.include({ path: queued, uploaded: false, policy: 'age_based' });
      expect(audit?.reason).to.contain('include_not_uploaded');
      expect(h.events.filter((e) => e.type === 'file.deleted' && !e.uploaded)).to.have.length(1);
    });

    it('runs once a day: not again the same day, again after the next scheduled time', async () => {
      h = new Harness({ deletion: AGE });
      const d = new Date(h.now);
      d.setHours(3, 0, 0, 0);
      h.now = d.getTime();
      expect((await runDeletionPass(h.build().pass, { trigger: 'timer' })).ageBasedRan).to.equal(true);
      h.now += 3_600_000;
      expect((await runDeletionPass(h.build().pass, { trigger: 'timer' })).ageBasedRan).to.equal(false);
      h.now += 22 * 3_600_000; // 02:00 next day
      expect((await runDeletionPass(h.build().pass, { trigger: 'timer' })).ageBasedRan).to.equal(true);
    });

    it('a cleanup request runs it even when it is not due; a dry run does not count as a run', async () => {
      h = new Harness({ deletion: AGE });
      expect((await runDeletionPass(h.build(true).pass, { trigger: 'request', forceAgeBased: true })).ageBasedRan).to.equal(true);
      expect((await runDeletionPass(h.build().pass, { trigger: 'timer' })).ageBasedRan).to.equal(true);
      expect((await runDeletionPass(h.build().pass, { trigger: 'timer' })).ageBasedRan).to.equal(false);
      expect((await runDeletionPass(h.build().pass, { trigger: 'request', forceAgeBased: true })).ageBasedRan).to.equal(true);
    });
  });

  describe('emergency', () => {
    const EMERGENCY = { after_upload: { enabled: false }, age_based: { enabled: false }, emergency: { enabled: true } };
    const DISK = { reserved_gb: 0.001, warning_threshold: 0.8, critical_threshold: 0.85 };

    it('does nothing while usage is below warning and the reserve is free', async () => {
      h = new Harness({ deletion: EMERGENCY, disk: DISK, capacity: 100 * MIB, baseline: 50 * MIB });
      h.uploaded('a.log', 5 * MIB, 3 * DAY);
      const r = await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(r.deletedCount).to.equal(0);
      expect(r.filesystems[0]?.pressure).to.equal('normal');
    });

    it('at warning deletes uploaded files oldest first until below warning, and nothing not uploaded', async () => {
      h = new Harness({ deletion: EMERGENCY, disk: DISK, capacity: 100 * MIB, baseline: 62 * MIB });
      const oldest = h.uploaded('a.log', 5 * MIB, 4 * DAY);
      const second = h.uploaded('b.log', 5 * MIB, 3 * DAY);
      const third = h.uploaded('c.log', 5 * MIB, 2 * DAY);
      const queued = h.queued('q.log', 5 * MIB, 9 * DAY);
      // 82% used: one deletion → 77%, below warning (80%).
      const r = await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(r.filesystems[0]?.before.usedPercent).to.be.closeTo(82, 0.01);
      expect(r.entries.map((e) => e.path)).to.deep.equal([oldest]);
      expect([second, third, queued].every((p) => h.exists(p))).to.equal(true);
      expect(r.filesystems[0]?.after.usedPercent).to.be.closeTo(77, 0.01);
    });

    it('deletes uploaded files until the reserve is free even below the warning threshold', async () => {
      h = new Harness({ deletion: EMERGENCY, disk: { reserved_gb: 0.02, warning_threshold: 0.9, critical_threshold: 0.95 }, capacity: 100 * MIB, baseline: 70 * MIB });
      // 20.48 MiB must stay available; 85 MiB used leaves 15.
      const a = h.uploaded('a.log', 5 * MIB, 4 * DAY);
      const b = h.uploaded('b.log', 5 * MIB, 3 * DAY);
      const c = h.uploaded('c.log', 5 * MIB, 2 * DAY);
      const r = await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(r.filesystems[0]?.pressure).to.equal('normal');
      expect(r.entries.map((e) => e.path)).to.deep.equal([a, b]);
      expect(h.exists(c)).to.equal(true);
    });

    it('still critical after every uploaded file: deletes files not uploaded, oldest first, each audited, until below critical', async () => {
      h = new Harness({ deletion: EMERGENCY, disk: DISK, capacity: 100 * MIB, baseline: 75 * MIB });
      const up1 = h.uploaded('up1.log', 2 * MIB, 1 * DAY);
      const up2 = h.uploaded('up2.log', 2 * MIB, 2 * DAY);
      const q1 = h.queued('q1.log', 3 * MIB, 5 * DAY);
      const q2 = h.queued('q2.log', 3 * MIB, 4 * DAY);
      const q3 = h.queued('q3.log', 3 * MIB, 3 * DAY);
      h.queued('q4.log', 3 * MIB, 2 * DAY);
      // 91% used: uploaded (newer than every queued file) go first → 87%, still critical (≥85) →
      // q1 (oldest) → 84%, below critical: stop.
      const r = await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(r.entries.map((e) => e.path)).to.deep.equal([up2, up1, q1]);
      expect(h.exists(q2) && h.exists(q3)).to.equal(true);
      expect(r.notUploadedCount).to.equal(1);
      const audit = h.build().repo.recentAudit(10).find((a) => a.path === q1);
      expect(audit).to.include({ uploaded: false, policy: 'emergency', size: 3 * MIB });
      expect(audit?.reason).to.contain('critical');
    });

    it('at warning but not critical never touches files not uploaded, even when nothing uploaded is left', async () => {
      h = new Harness({ deletion: EMERGENCY, disk: DISK, capacity: 100 * MIB, baseline: 70 * MIB });
      const q = h.queued('q.log', 12 * MIB, 5 * DAY);
      const r = await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(r.filesystems[0]?.pressure).to.equal('warning');
      expect(r.deletedCount).to.equal(0);
      expect(h.exists(q)).to.equal(true);
    });

    it('is off unless deletion.emergency.enabled', async () => {
      h = new Harness({ disk: DISK, capacity: 100 * MIB, baseline: 95 * MIB });
      const a = h.uploaded('a.log', 1 * MIB, 4 * DAY);
      const r = await runDeletionPass(h.build().pass, { trigger: 'timer' });
      expect(r.filesystems[0]?.pressure).to.equal('critical');
      expect(h.exists(a)).to.equal(true);
    });

    it('a dry run reports what it would delete and touches nothing', async () => {
      h = new Harness({ deletion: EMERGENCY, disk: DISK, capacity: 100 * MIB, baseline: 80 * MIB });
      const a = h.uploaded('a.log', 5 * MIB, 4 * DAY);
      const q = h.queued('q.log', 5 * MIB, 5 * DAY);
      const r = await runDeletionPass(h.build(true).pass, { trigger: 'cleanup' });
      expect(r.dryRun).to.equal(true);
      expect(r.entries.map((e) => e.path)).to.deep.equal([a, q]);
      expect(h.exists(a) && h.exists(q)).to.equal(true);
      expect(h.store.files.getByPath(a)).to.not.equal(null);
      expect(h.build().repo.recentAudit(5)).to.have.length(0);
      expect(h.events).to.have.length(0);
    });
  });
});

describe('deletion/pass: files the state store never recorded', () => {
  let h: Harness;
  afterEach(() => h?.close());
  const EMERGENCY = { after_upload: { enabled: false }, age_based: { enabled: false }, emergency: { enabled: true } };
  const DISK = { reserved_gb: 0.001, warning_threshold: 0.8, critical_threshold: 0.85 };

  it('at critical, after every recorded candidate, deletes unrecorded files oldest first, each audited', async () => {
    h = new Harness({ deletion: EMERGENCY, disk: DISK, capacity: 100 * MIB, baseline: 80 * MIB });
    const q = h.queued('q.log', 2 * MIB, 1 * DAY);
    const never = ['n-old.log', 'n-mid.log', 'n-new.log'].map((name, i) => {
      const path = join(h.logs, 'old-run', name);
      writeFile(path, 2 * MIB, h.now - (60 - i) * DAY);
      return path;
    });
    // 88 %: q (recorded) → 86 %, still critical → n-old → 84 %: stop.
    const r = await runDeletionPass(h.build().pass, { trigger: 'timer' });
    expect(r.entries.map((e) => [e.path, e.uploaded])).to.deep.equal([[q, false], [never[0], false]]);
    expect(never.slice(1).every((p) => h.exists(p))).to.equal(true);
    const audit = h.build().repo.recentAudit(5).find((a) => a.path === never[0]);
    expect(audit).to.include({ uploaded: false, policy: 'emergency', size: 2 * MIB, objectKey: null, contentSha256: null });
  });

  it('at warning never touches unrecorded files', async () => {
    h = new Harness({ deletion: EMERGENCY, disk: DISK, capacity: 100 * MIB, baseline: 78 * MIB });
    const path = join(h.logs, 'never.log');
    writeFile(path, 4 * MIB, h.now - 60 * DAY);
    const r = await runDeletionPass(h.build().pass, { trigger: 'timer' });
    expect(r.filesystems[0]?.pressure).to.equal('warning');
    expect(r.deletedCount).to.equal(0);
  });

  it('age_based deletes old unrecorded files only with include_not_uploaded', async () => {
    const age = (include: boolean) => ({ after_upload: { enabled: false }, age_based: { enabled: true, max_age_days: 7, include_not_uploaded: include } });
    h = new Harness({ deletion: age(false) });
    const old = join(h.logs, 'old.log');
    const young = join(h.logs, 'young.log');
    writeFile(old, 10, h.now - 30 * DAY);
    writeFile(young, 10, h.now - 2 * DAY);
    await runDeletionPass(h.build().pass, { trigger: 'cleanup', forceAgeBased: true });
    expect(h.exists(old)).to.equal(true);
    h.close();
    h = new Harness({ deletion: age(true) });
    writeFile(old.replace(/^.*\/logs/, h.logs), 10, h.now - 30 * DAY);
    writeFile(young.replace(/^.*\/logs/, h.logs), 10, h.now - 2 * DAY);
    const dry = await runDeletionPass(h.build(true).pass, { trigger: 'cleanup', forceAgeBased: true });
    expect(dry.entries.map((e) => e.path)).to.deep.equal([join(h.logs, 'old.log')]);
    const r = await runDeletionPass(h.build().pass, { trigger: 'cleanup', forceAgeBased: true });
    expect(r.entries.map((e) => [e.path, e.policy, e.uploaded])).to.deep.equal([[join(h.logs, 'old.log'), 'age_based', false]]);
    expect(h.exists(join(h.logs, 'young.log'))).to.equal(true);
  });
});

describe('deletion/pass: several filesystems', () => {
  it('measures each filesystem holding watched directories and relieves only the full one', async () => {
    const root = tempDir('tvm-twofs-');
    try {
      const [full, roomy] = [join(root, 'full'), join(root, 'roomy')];
      const config = emergencyOnlyConfig({ [full]: 'full', [roomy]: 'roomy' }, { warning: 0.8, critical: 0.9 }, `${root}/state`);
      const store = openStateStore({ dir: config.stateDir, logger: silentLogger() });
      const now = Date.now();
      const add = (dir: string, source: string, name: string): string => {
        const path = join(dir, name);
        const mtimeMs = writeFile(path, MIB, now - 5 * DAY);
        store.files.importUploaded({ path, source, relPath: name, size: MIB, mtimeMs, uploadedAt: now - DAY, objectKey: name });
        return path;
      };
      const inRoomy = add(roomy, 'roomy', 'b.log'); // first in the oldest-first order, on the other filesystem
      const inFull = add(full, 'full', 'a.log');
      const ioFull = filesDiskIo(full, 10 * MIB, 7 * MIB, 1); // 80 %: warning
      const ioRoomy = filesDiskIo(roomy, 10 * MIB, 0, 2); // 10 %
      const pick = (p: string) => (p.startsWith(full) ? ioFull : ioRoomy);
      const { pass } = buildDeletion({
        config, db: store.db, dbPath: store.dbPath, enqueue: () => undefined, telemetry: new Telemetry(silentLogger()),
        logger: silentLogger(), now: () => now, dryRun: false,
        diskIo: { statfs: (p) => pick(p).statfs(p), device: (p) => pick(p).device(p) },
      });
      const r = await runDeletionPass(pass, { trigger: 'timer' });
      store.close();
      expect(r.filesystems.map((f) => [f.path, f.pressure])).to.deep.equal([[full, 'normal'], [roomy, 'normal']]);
      expect(r.filesystems[0]!.before.usedPercent).to.be.closeTo(80, 0.01);
      expect(r.entries.map((e) => e.path)).to.deep.equal([inFull]);
      expect(existsSync(inRoomy)).to.equal(true);
    } finally {
      removeDir(root);
    }
  });
});
