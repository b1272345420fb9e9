import { expect } from 'chai';
import { mkdirSync, writeFileSync, rmSync, utimesSync, symlinkSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Intake, type IntakeFiles, type IntakeOptions } from '../../../src/pipeline/intake.js';
import { sameMtime } from '../../../src/state/identity.js';
import { Health } from '../../../src/telemetry/health.js';
import type { WatcherBackend } from '../../../src/pipeline/watch-source.js';
import type { FileStat } from '../../../src/pipeline/stat-probe.js';
import { Telemetry, type TelemetryEvent } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import type { EnqueueInput, FileRecord } from '../../../src/state/types.js';
import type { LogDirectory } from '../../../src/config/types.js';
import { ManualTimers, record } from '../../support/fakes.js';
import { stateRetryDelayMs } from '../../../src/sinks/retry.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';

type Emit = (events: Array<{ path: string; type: 'create' | 'update' | 'delete' }>, err?: Error) => void;

class FakeWatcher implements WatcherBackend {
  readonly emitters = new Map<string, Emit>();
  failFor = new Set<string>();
  unsubscribed = 0;
  subscribed = 0;
  attempts = 0;
  async subscribe(dir: string, fn: (err: Error | null, events: Array<{ path: string; type: 'create' | 'update' | 'delete' }>) => unknown) {
    this.attempts++;
    if (this.failFor.has(dir)) throw Object.assign(new Error(`EACCES: permission denied, watch '${dir}'`), { code: 'EACCES' });
    this.subscribed++;
    this.emitters.set(dir, (events, err) => fn(err ?? null, events));
    return { unsubscribe: async () => void this.unsubscribed++ };
  }
  get live(): number {
    return this.subscribed - this.unsubscribed;
  }
}

class FakeFiles implements IntakeFiles {
  readonly queued: EnqueueInput[] = [];
  readonly uploaded = new Map<string, FileRecord>();
  /** getByPath calls: the rows read outside enqueue's own read. */
  reads = 0;
  /** The size of each enqueueMany call: one transaction each. */
  readonly batches: number[] = [];
  /** When set, enqueueMany throws it (the store refuses writes). */
  refuse: Error | null = null;
  enqueueMany(inputs: readonly EnqueueInput[]) {
    if (this.refuse) throw this.refuse;
    this.batches.push(inputs.length);
    return inputs.map((i) => this.enqueue(i));
  }
  enqueue(input: EnqueueInput) {
    const up = this.uploaded.get(input.path);
    if (up && up.size === input.size && sameMtime(up.mtimeMs, input.mtimeMs)) return 'already-uploaded' as const;
    if (this.queued.some((q) => q.path === input.path)) return 'already-queued' as const;
    this.queued.push(input);
    return 'queued' as const;
  }
  getByPath(path: string) {
    this.reads++;
    return this.uploaded.get(path) ?? null;
  }
}

const OLD = Date.now() / 1000 - 3600;

function setup(dirs: (root: string) => LogDirectory[], over: { stable?: number; scan?: boolean; maxAgeDays?: number } = {}, verifyRemote?: () => boolean, extra: Partial<IntakeOptions> = {}) {
  const root = tempDir('tvm-intake-');
  const watcher = new FakeWatcher();
  const files = new FakeFiles();
  const events: TelemetryEvent[] = [];
  const telemetry = new Telemetry(silentLogger());
  telemetry.on((e) => events.push(e));
  let wakes = 0;
  const config = {
    logDirectories: dirs(root),
    upload: { fileStableSeconds: over.stable ?? 0, scanExistingFiles: { enabled: over.scan ?? true, maxAgeDays: over.maxAgeDays ?? 0 }, rescanIntervalSeconds: 0 },
  };
  const intake = new Intake({ config, files, telemetry, logger: silentLogger(), onQueued: () => wakes++, watcher, retryWatchSeconds: 3600, ...(verifyRemote ? { verifyRemote } : {}), ...extra });
  return { root, watcher, files, events, intake, wakes: () => wakes, cleanup: () => { intake.close(); removeDir(root); } };
}

const d = (path: string, source: string, extra: Partial<LogDirectory> = {}): LogDirectory => ({ path, source, recursive: true, pattern: null, allowDeletion: true, legacy: false, ...extra });
const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
};

describe('pipeline/intake', () => {
  it('creates missing watched directories and queues existing files found by the startup scan', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros'), d(join(r, 'term'), 'terminal')]);
    mkdirSync(join(s.root, 'ros', 'run-1'), { recursive: true });
    writeFileSync(join(s.root, 'ros', 'run-1', 'launch.log'), 'x');
    utimesSync(join(s.root, 'ros', 'run-1', 'launch.log'), OLD, OLD);
    await s.intake.start();
    expect(s.files.queued.map((q) => [q.source, q.relPath])).to.deep.equal([['ros', 'run-1/launch.log']]);
    expect(s.wakes()).to.equal(1);
    expect(s.events.filter((e) => e.type === 'scan.completed')).to.have.length(2);
    s.cleanup();
  });

  it('skips files already uploaded with the same identity at start-up', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')]);
    mkdirSync(join(s.root, 'ros'));
    const p = join(s.root, 'ros', 'a.log');
    writeFileSync(p, 'abc');
    utimesSync(p, OLD, OLD);
    s.files.uploaded.set(p, record(1, { path: p, size: 3, mtimeMs: statSync(p).mtimeMs, status: 'uploaded' }));
    await s.intake.start();
    expect(s.files.queued).to.deep.equal([]);
    s.cleanup();
  });

  it('records a quiet file a scan finds with the one read of its row that enqueue makes', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')]);
    mkdirSync(join(s.root, 'ros'));
    for (const n of ['new.log', 'done.log']) {
      writeFileSync(join(s.root, 'ros', n), 'abc');
      utimesSync(join(s.root, 'ros', n), OLD, OLD);
    }
    const done = join(s.root, 'ros', 'done.log');
    s.files.uploaded.set(done, record(1, { path: done, size: 3, mtimeMs: statSync(done).mtimeMs, status: 'uploaded' }));
    await s.intake.start();
    expect(s.files.queued.map((q) => q.relPath)).to.deep.equal(['new.log']);
    expect(s.files.reads).to.equal(0);
    s.cleanup();
  });

  it('records what a scan finds a batch per transaction, at most 512 files each, and wakes the dispatcher once per batch', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')]);
    mkdirSync(join(s.root, 'ros'));
    for (let i = 0; i < 1200; i++) {
      const p = join(s.root, 'ros', `f${i}.log`);
      writeFileSync(p, 'x');
      utimesSync(p, OLD, OLD);
    }
    await s.intake.start();
    expect(s.files.queued).to.have.length(1200);
    expect(s.files.batches.reduce((a, b) => a + b, 0)).to.equal(1200);
    expect(Math.max(...s.files.batches)).to.equal(512);
    // Batches close at 512 files or after 100 ms of scanning: never one transaction per file.
    expect(s.files.batches.length).to.be.within(3, 100);
    expect(s.wakes()).to.equal(s.files.batches.length);
    expect(s.events.filter((e) => e.type === 'file.queued')).to.have.length(1200);
    const done = s.events.find((e) => e.type === 'scan.completed');
    expect(done).to.deep.include({ seen: 1200, queued: 1200 });
    s.cleanup();
  });

  it('records files that become ready together in one transaction, not one each', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')], { scan: false });
    mkdirSync(join(s.root, 'ros'));
    await s.intake.start();
    const paths = Array.from({ length: 40 }, (_, i) => join(s.root, 'ros', `live-${i}.log`));
    for (const p of paths) {
      writeFileSync(p, 'x');
      utimesSync(p, OLD, OLD);
    }
    s.watcher.emitters.get(join(s.root, 'ros'))!(paths.map((path) => ({ path, type: 'update' as const })));
    await until(() => s.files.queued.length === 40, 'the 40 live files');
    expect(s.files.batches.reduce((a, b) => a + b, 0)).to.equal(40);
    // 40 stat results complete within a few loop turns; one transaction per file would be 40.
    expect(s.files.batches.length).to.be.below(20);
    s.cleanup();
  });

  describe('after a burst of watcher events that may have overflowed the kernel queue', () => {
    // @parcel/watcher drops the kernel's overflow notice: files whose events were lost are on
    // disk, never reported. Only a rescan finds them.
    async function burst(events: number) {
      const clock = new ManualTimers(Date.now());
      const s = setup((r) => [d(join(r, 'ros'), 'ros')], { scan: false }, undefined, { clock, burstRescanEvents: 5 });
      mkdirSync(join(s.root, 'ros'));
      await s.intake.start();
      for (const n of ['lost-1.log', 'lost-2.log']) {
        writeFileSync(join(s.root, 'ros', n), 'abc');
        utimesSync(join(s.root, 'ros', n), OLD, OLD);
      }
      const emit = s.watcher.emitters.get(join(s.root, 'ros'))!;
      emit(Array.from({ length: events }, (_, i) => ({ path: join(s.root, 'ros', `gone-${i}.log`), type: 'delete' as const })));
      return { s, clock };
    }

    it('rescans the directory once the burst has been quiet for a second', async () => {
      const { s, clock } = await burst(5);
      clock.advance(999);
      await new Promise((r) => setTimeout(r, 20));
      expect(s.files.queued, 'still within the burst').to.deep.equal([]);
      clock.advance(1);
      await until(() => s.files.queued.length === 2, 'the rescan to queue both files');
      expect(s.files.queued.map((q) => q.relPath)).to.have.members(['lost-1.log', 'lost-2.log']);
      s.cleanup();
    });

    it('does not rescan after a smaller burst', async () => {
      const { s, clock } = await burst(4);
      clock.advance(5000);
      await new Promise((r) => setTimeout(r, 50));
      expect(s.files.queued).to.deep.equal([]);
      s.cleanup();
    });
  });

  it('records the files already stable when it is closed, and nothing after', async () => {
    // A probe that answers synchronously makes a file ready inside the watcher event's own call,
    // so it is waiting for the end of the loop turn when close() comes.
    const probe = (): FileStat => ({ size: 1, mtimeMs: OLD * 1000 });
    const s = setup((r) => [d(join(r, 'ros'), 'ros')], { scan: false }, undefined, { probe });
    mkdirSync(join(s.root, 'ros'));
    await s.intake.start();
    const emit = s.watcher.emitters.get(join(s.root, 'ros'))!;
    emit([{ path: join(s.root, 'ros', 'last.log'), type: 'update' }]);
    expect(s.files.queued, 'waiting for the end of the loop turn').to.have.length(0);
    s.intake.close();
    expect(s.files.queued.map((q) => q.relPath)).to.deep.equal(['last.log']);
    emit([{ path: join(s.root, 'ros', 'after-close.log'), type: 'update' }]);
    await new Promise((r) => setImmediate(r));
    expect(s.files.queued.map((q) => q.relPath)).to.deep.equal(['last.log']);
    s.cleanup();
  });

  it('does not hand on a recently written file a scan finds already uploaded', async () => {
    const recent: string[] = [];
    const s = setup((r) => [d(join(r, 'ros'), 'ros')], { stable: 3600 }, undefined, { onRecent: (hit) => void recent.push(hit.path) });
    mkdirSync(join(s.root, 'ros'));
    const p = join(s.root, 'ros', 'fresh.log');
    writeFileSync(p, 'abc');
    s.files.uploaded.set(p, record(2, { path: p, size: 3, mtimeMs: statSync(p).mtimeMs, status: 'uploaded' }));
    await s.intake.start();
    expect(recent).to.deep.equal([]);
    expect(s.files.reads).to.equal(1);
    s.cleanup();
  });

  it('hands a recently written file a scan finds to onRecent (the one-shot), not to the queue', async () => {
    const recent: string[] = [];
    const s = setup((r) => [d(join(r, 'ros'), 'ros')], { stable: 3600 }, undefined, { onRecent: (hit) => void recent.push(hit.path) });
    mkdirSync(join(s.root, 'ros'));
    const p = join(s.root, 'ros', 'fresh.log');
    writeFileSync(p, 'abc');
    await s.intake.start();
    expect(recent).to.deep.equal([p]);
    expect(s.files.queued).to.deep.equal([]);
    s.cleanup();
  });

  it('watches a recently written file a scan finds until it is stable, then queues it', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')], { stable: 0.2 });
    mkdirSync(join(s.root, 'ros'));
    const p = join(s.root, 'ros', 'fresh.log');
    writeFileSync(p, 'abc');
    await s.intake.start();
    expect(s.files.queued, 'not queued by the scan itself').to.deep.equal([]);
    await until(() => s.files.queued.length === 1, 'the file once quiet for 0.2 s');
    expect(s.files.queued[0]).to.include({ path: p, size: 3 });
    s.cleanup();
  });

  it('honours scan_existing_files.max_age_days and enabled=false', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')], { maxAgeDays: 1 });
    mkdirSync(join(s.root, 'ros'));
    writeFileSync(join(s.root, 'ros', 'old.log'), 'o');
    utimesSync(join(s.root, 'ros', 'old.log'), OLD - 3 * 86400, OLD - 3 * 86400);
    writeFileSync(join(s.root, 'ros', 'new.log'), 'n');
    utimesSync(join(s.root, 'ros', 'new.log'), OLD, OLD);
    await s.intake.start();
    expect(s.files.queued.map((q) => q.relPath)).to.deep.equal(['new.log']);
    s.cleanup();
    const off = setup((r) => [d(join(r, 'ros'), 'ros')], { scan: false });
    mkdirSync(join(off.root, 'ros'));
    writeFileSync(join(off.root, 'ros', 'x.log'), 'x');
    await off.intake.start();
    expect(off.files.queued).to.deep.equal([]);
    off.cleanup();
  });

  it('does not follow symbolic links, and ignores dot-files and pattern misses', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros', { pattern: '*.log' })]);
    mkdirSync(join(s.root, 'ros'));
    mkdirSync(join(s.root, 'outside'));
    writeFileSync(join(s.root, 'outside', 'secret.log'), 's');
    symlinkSync(join(s.root, 'outside'), join(s.root, 'ros', 'latest'));
    symlinkSync(join(s.root, 'outside', 'secret.log'), join(s.root, 'ros', 'link.log'));
    symlinkSync(join(s.root, 'ros'), join(s.root, 'ros', 'loop'));
    writeFileSync(join(s.root, 'ros', '.hidden.log'), 'h');
    writeFileSync(join(s.root, 'ros', 'notes.txt'), 't');
    await s.intake.start();
    expect(s.files.queued).to.deep.equal([]);
    s.cleanup();
  });

  it('queues a file reported by the watcher once it is stable', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')]);
    await s.intake.start();
    const p = join(s.root, 'ros', 'live.log');
    writeFileSync(p, 'live');
    s.watcher.emitters.get(join(s.root, 'ros'))!([{ path: p, type: 'create' }]);
    await until(() => s.files.queued.length === 1, 'the live file');
    expect(s.files.queued[0]).to.deep.include({ relPath: 'live.log', size: 4 });
    s.cleanup();
  });

  it('picks up a file that appears by rename (delete + create)', async () => {
    const s = setup((r) => [d(join(r, 'sys'), 'syslog', { recursive: false, pattern: 'syslog*' })]);
    await s.intake.start();
    const p = join(s.root, 'sys', 'syslog.1');
    writeFileSync(p, 'rotated');
    utimesSync(p, OLD, OLD);
    s.watcher.emitters.get(join(s.root, 'sys'))!([{ path: join(s.root, 'sys', 'syslog'), type: 'delete' }, { path: p, type: 'create' }]);
    await until(() => s.files.queued.length === 1, 'the rotated file');
    expect(s.files.queued[0]!.relPath).to.equal('syslog.1');
    s.cleanup();
  });

  it('walks a directory that appears with files already inside', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')]);
    await s.intake.start();
    const run = join(s.root, 'ros', 'run-9');
    mkdirSync(join(run, 'nested'), { recursive: true });
    writeFileSync(join(run, 'nested', 'a.log'), 'a');
    utimesSync(join(run, 'nested', 'a.log'), OLD, OLD);
    s.watcher.emitters.get(join(s.root, 'ros'))!([{ path: run, type: 'create' }]);
    await until(() => s.files.queued.length === 1, 'the file in the new directory');
    expect(s.files.queued[0]!.relPath).to.equal('run-9/nested/a.log');
    s.cleanup();
  });

  it('rescans a directory whose watcher reports an error (events may have been lost)', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')]);
    await s.intake.start();
    const p = join(s.root, 'ros', 'missed.log');
    writeFileSync(p, 'm');
    utimesSync(p, OLD, OLD);
    s.watcher.emitters.get(join(s.root, 'ros'))!([], new Error('Events were dropped by the FSEvents client'));
    await until(() => s.files.queued.length === 1, 'the missed file');
    s.cleanup();
  });

  it('reports a directory it cannot watch and keeps watching the others', async () => {
    const s = setup((r) => [d(join(r, 'bad'), 'bad'), d(join(r, 'good'), 'good')]);
    s.watcher.failFor.add(join(s.root, 'bad'));
    await s.intake.start();
    const err = s.events.find((e) => e.type === 'watch.error');
    expect(err).to.deep.include({ dir: join(s.root, 'bad') });
    expect(s.watcher.emitters.has(join(s.root, 'good'))).to.equal(true);
    s.cleanup();
  });

  it('marks files queued while recovering from a rebuilt database for a remote check', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')], {}, () => true);
    mkdirSync(join(s.root, 'ros'));
    writeFileSync(join(s.root, 'ros', 'a.log'), 'a');
    utimesSync(join(s.root, 'ros', 'a.log'), OLD, OLD);
    await s.intake.start();
    expect(s.files.queued[0]!.verifyRemote).to.equal(true);
    s.cleanup();
  });

  it('stops queueing after close()', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')]);
    await s.intake.start();
    s.intake.close();
    s.intake.close();
    const p = join(s.root, 'ros', 'late.log');
    writeFileSync(p, 'l');
    s.watcher.emitters.get(join(s.root, 'ros'))!([{ path: p, type: 'create' }]);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.files.queued).to.deep.equal([]);
    s.cleanup();
  });
});

describe('pipeline/intake file names', () => {
  it('reports a file whose name is not valid UTF-8 once, instead of dropping it silently', async () => {
    const root = tempDir('tvm-intake-names-');
    const dir = join(root, 'ros');
    mkdirSync(dir);
    const bad = Buffer.concat([Buffer.from(dir + '/caf'), Buffer.from([0xe9]), Buffer.from('.log')]);
    writeFileSync(bad, 'latin-1 name');
    writeFileSync(join(dir, 'good.log'), 'ok');
    utimesSync(join(dir, 'good.log'), OLD, OLD);
    const errors: Array<{ path: unknown; msg: string }> = [];
    const logger = silentLogger();
    logger.error = ((o: { path: unknown }, msg: string) => void errors.push({ path: o.path, msg })) as typeof logger.error;
    const files = new FakeFiles();
    const intake = new Intake({
      config: { logDirectories: [d(dir, 'ros')], upload: { fileStableSeconds: 0, scanExistingFiles: { enabled: true, maxAgeDays: 0 }, rescanIntervalSeconds: 0 } },
      files, telemetry: new Telemetry(silentLogger()), logger, onQueued: () => undefined, watcher: new FakeWatcher(),
    });
    await intake.start();
    await intake.scanAll('rescan', null);
    intake.close();
    removeDir(root);
    expect(files.queued.map((q) => q.relPath)).to.deep.equal(['good.log']);
    expect(errors).to.have.length(1);
    expect(errors[0]!.path).to.equal(`${dir}/caf\\xe9.log`);
    expect(errors[0]!.msg).to.include('not valid UTF-8');
  });

  describe('applyConfig (a reload)', () => {
    const upload = { fileStableSeconds: 0, scanExistingFiles: { enabled: true, maxAgeDays: 0 }, rescanIntervalSeconds: 0 };
    const old = (p: string) => {
      writeFileSync(p, 'x');
      utimesSync(p, OLD, OLD);
    };

    it('watches and scans an added directory, and unwatches a removed one', async () => {
      const s = setup((r) => [d(join(r, 'ros'), 'ros')]);
      await s.intake.start();
      mkdirSync(join(s.root, 'cam'));
      old(join(s.root, 'cam', 'before.log'));
      await s.intake.applyConfig({ logDirectories: [d(join(s.root, 'cam'), 'cam')], upload });
      expect(s.files.queued.map((q) => [q.source, q.relPath])).to.deep.equal([['cam', 'before.log']]);
      expect(s.watcher.unsubscribed).to.equal(1);
      const gone = join(s.root, 'ros', 'after-removal.log');
      old(gone);
      s.watcher.emitters.get(join(s.root, 'ros'))!([{ path: gone, type: 'create' }]);
      const live = join(s.root, 'cam', 'live.log');
      old(live);
      s.watcher.emitters.get(join(s.root, 'cam'))!([{ path: live, type: 'create' }]);
      await until(() => s.files.queued.length === 2, 'the live file of the added directory');
      await new Promise((r) => setTimeout(r, 20));
      expect(s.files.queued.map((q) => q.relPath)).to.deep.equal(['before.log', 'live.log']);
      s.cleanup();
    });

    it('drops a file still stabilizing when its directory is removed', async () => {
      // Virtual time; a file of a directory that stays is the control: once it is queued, the
      // stability window has passed for both.
      const clock = new ManualTimers(Date.now());
      const s = setup((r) => [d(join(r, 'ros'), 'ros'), d(join(r, 'keep'), 'keep')], { stable: 5 }, undefined, { clock });
      await s.intake.start();
      const dropped = join(s.root, 'ros', 'growing.log');
      const kept = join(s.root, 'keep', 'growing.log');
      for (const p of [dropped, kept]) {
        writeFileSync(p, 'g');
        s.watcher.emitters.get(dirname(p))!([{ path: p, type: 'create' }]);
      }
      await s.intake.applyConfig({ logDirectories: [d(join(s.root, 'keep'), 'keep')], upload: { ...upload, fileStableSeconds: 5 } });
      for (let i = 0; i < 20 && s.files.queued.length === 0; i++) {
        clock.advance(1000);
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 20));
      expect(s.files.queued.map((q) => q.path)).to.deep.equal([kept]);
      s.cleanup();
    });

    it('scans again a directory whose pattern widened, and applies a new source to new files', async () => {
      const s = setup((r) => [d(join(r, 'sys'), 'syslog', { pattern: 'syslog*' })]);
      mkdirSync(join(s.root, 'sys'));
      old(join(s.root, 'sys', 'kern.log'));
      await s.intake.start();
      expect(s.files.queued).to.deep.equal([]);
      await s.intake.applyConfig({ logDirectories: [d(join(s.root, 'sys'), 'system', { pattern: '*.log' })], upload });
      expect(s.files.queued.map((q) => [q.source, q.relPath])).to.deep.equal([['system', 'kern.log']]);
      expect(s.watcher.unsubscribed).to.equal(0);
      s.cleanup();
    });

    it('restarts the rescan timer with a new interval, and does nothing once closed', async () => {
      const s = setup((r) => [d(join(r, 'ros'), 'ros')]);
      await s.intake.start();
      await s.intake.applyConfig({ logDirectories: [d(join(s.root, 'ros'), 'ros')], upload: { ...upload, rescanIntervalSeconds: 3600 } });
      await s.intake.applyConfig({ logDirectories: [d(join(s.root, 'ros'), 'ros')], upload });
      s.intake.close();
      await s.intake.applyConfig({ logDirectories: [d(join(s.root, 'x'), 'x')], upload });
      expect(s.watcher.emitters.has(join(s.root, 'x'))).to.equal(false);
      s.cleanup();
    });
  });

  it('survives a state store that refuses writes: degraded, rescans after a backoff, records the file and recovers', async () => {
    const health = new Health();
    const clock = new ManualTimers(Date.now());
    const s = setup((r) => [d(join(r, 'ros'), 'ros')], {}, undefined, { health, clock });
    mkdirSync(join(s.root, 'ros'));
    for (const n of ['a.log', 'b.log']) {
      writeFileSync(join(s.root, 'ros', n), n);
      utimesSync(join(s.root, 'ros', n), OLD, OLD);
    }
    const real = s.files.enqueueMany.bind(s.files);
    let calls = 0;
    s.files.enqueueMany = (inputs) => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return real(inputs);
    };
    await s.intake.start();
    expect(calls, 'the scan stops at the first refused write').to.equal(1);
    expect(s.events.filter((e) => e.type === 'scan.completed'), 'a scan that could not record its files is not complete').to.deep.equal([]);
    expect(health.reasons().map((r) => [r.key, r.message.includes('SQLITE_FULL') || r.message.includes('disk is full')])).to.deep.equal([['intake', true]]);
    // No rescan before the backoff has passed (virtual time); then the retry rescan records the
    // files and (once the whole scan has gone through) recovers: wait for both, since the files
    // are visible a moment before the scan completes.
    clock.advance(stateRetryDelayMs(1) - 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls, 'no rescan before the backoff').to.equal(1);
    clock.advance(1);
    await until(() => s.files.queued.length === 2 && !health.degraded, 'the retry rescan to record both files and recover');
    expect(s.files.queued.map((q) => q.relPath).sort()).to.deep.equal(['a.log', 'b.log']);
    expect(health.degraded).to.equal(false);
    s.cleanup();
  });

  it('keeps one subscription and one pending retry per directory however often watching fails', async () => {
    const clock = new ManualTimers(Date.now());
    const s = setup((r) => [d(join(r, 'ros'), 'ros')], {}, undefined, { retryWatchSeconds: 1, clock });
    const tick = async (): Promise<void> => {
      clock.advance(1000);
      await new Promise((r) => setTimeout(r, 2));
    };
    s.watcher.failFor.add(join(s.root, 'ros'));
    await s.intake.start();
    for (let i = 0; i < 50 && s.watcher.attempts < 5; i++) await tick();
    expect(s.watcher.attempts).to.be.at.least(5);
    expect(s.watcher.live).to.equal(0);
    s.watcher.failFor.clear();
    for (let i = 0; i < 50 && s.watcher.live === 0; i++) await tick();
    const attempts = s.watcher.attempts;
    for (let i = 0; i < 5; i++) await tick();
    expect(s.watcher.live).to.equal(1);
    expect(s.watcher.attempts, 'no retry after success').to.equal(attempts);
    s.cleanup();
  });

  it('watches a root that was deleted and recreated again within seconds, and finds the files in it', async () => {
    const s = setup((r) => [d(join(r, 'ros'), 'ros')], {}, undefined, { rootCheckMs: 20 });
    await s.intake.start();
    expect(s.watcher.live).to.equal(1);
    rmSync(join(s.root, 'ros'), { recursive: true });
    for (let i = 0; i < 200 && s.watcher.live !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.watcher.live, 'the dead watch is dropped').to.equal(0);
    mkdirSync(join(s.root, 'ros'));
    writeFileSync(join(s.root, 'ros', 'after-purge.log'), 'x');
    utimesSync(join(s.root, 'ros', 'after-purge.log'), OLD, OLD);
    for (let i = 0; i < 300 && s.files.queued.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.files.queued.map((q) => q.relPath)).to.deep.equal(['after-purge.log']);
    expect(s.watcher.live).to.equal(1);
    s.cleanup();
  });
});
