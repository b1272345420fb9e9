import { expect } from 'chai';
import { followProgress, passSummary, printSummary } from '../../../src/cli/upload-progress.js';
import type { CliIo } from '../../../src/cli/io.js';
import { StateReader } from '../../../src/state/state-reader.js';
import { openStateStore, type StateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';
import { ManualTimers } from '../../support/fakes.js';

function io() {
  const out: string[] = [];
  const cli: CliIo = { out: (t) => void out.push(t), err: () => undefined, env: {} };
  return { cli, out };
}

describe('cli/upload-progress (upload-now output)', () => {
  let dir: string;
  let store: StateStore;
  const T0 = Date.now() - 10_000;
  beforeEach(() => {
    dir = tempDir('tvm-progress-');
    store = openStateStore({ dir, logger: silentLogger() });
  });
  afterEach(() => {
    store.close();
    removeDir(dir);
  });

  function upload(name: string, size: number, at: number): void {
    store.files.enqueue({ path: `/logs/${name}`, source: 'ros', relPath: name, size, mtimeMs: 1 }, at);
    const rec = store.files.claimNext(at, { exclude: new Set(), queuedSince: null })!;
    store.files.markUploaded(rec.id, { objectKey: `v/${name}.gz`, contentSha256: 'h', uploadedAt: at, size, mtimeMs: 1 });
  }

  it('prints one line per file uploaded since the pass began, each once', () => {
    upload('before.log', 1, T0 - 1);
    const t = io();
    const reader = StateReader.over(store.db, store.dbPath);
    const clock = new ManualTimers();
    const stop = followProgress(t.cli, reader, T0, 'lines', clock);
    upload('a.log', 10, T0 + 1);
    clock.advance(300);
    expect(t.out, 'the poll prints a.log as soon as it sees it').to.deep.equal(['uploaded /logs/a.log → v/a.log.gz (10 B)']);
    clock.advance(300);
    upload('b.log', 2048, T0 + 2);
    stop();
    expect(t.out).to.deep.equal(['uploaded /logs/a.log → v/a.log.gz (10 B)', 'uploaded /logs/b.log → v/b.log.gz (2.0 KiB)']);
  });

  it('drives a progress bar without printing lines, and prints nothing in --json mode', () => {
    upload('a.log', 10, T0 + 1);
    store.files.enqueue({ path: '/logs/wait.log', source: 'ros', relPath: 'wait.log', size: 5, mtimeMs: 1 }, T0);
    const reader = StateReader.over(store.db, store.dbPath);
    const bar = io();
    followProgress(bar.cli, reader, T0, 'bar')();
    expect(bar.out).to.deep.equal([]);
    const none = io();
    followProgress(none.cli, reader, T0, 'none')();
    expect(none.out).to.deep.equal([]);
  });

  it('summarises the pass from the store: uploads, failures with reasons, files left, files still changing', () => {
    upload('a.log', 100, T0 + 1);
    store.files.enqueue({ path: '/logs/bad.log', source: 'ros', relPath: 'bad.log', size: 5, mtimeMs: 1 }, T0);
    const bad = store.files.claimNext(T0, { exclude: new Set(), queuedSince: null })!;
    store.files.markFailed(bad.id, { error: 'connection refused', code: 'TVM_ERR_S3_TRANSIENT', nextAttemptAt: T0 + 99_000 });
    store.files.enqueue({ path: '/logs/left.log', source: 'ros', relPath: 'left.log', size: 5, mtimeMs: 1 }, T0);
    const s = passSummary(StateReader.over(store.db, store.dbPath), { mode: 'one-shot', startedAt: T0, now: T0 + 2500, stillChanging: ['/logs/new.log'] });
    expect(s).to.deep.include({ mode: 'one-shot', uploaded: 1, bytes: 100, remaining: 1, seconds: 2.5, stillChanging: ['/logs/new.log'] });
    expect(s.failed).to.deep.equal([{ path: '/logs/bad.log', attempts: 1, code: 'TVM_ERR_S3_TRANSIENT', error: 'connection refused', nextAttemptAt: T0 + 99_000 }]);
    const t = io();
    printSummary(t.cli, { ...s, mode: 'daemon' }, false);
    expect(t.out).to.deep.equal([
      'uploaded 1 file(s), 100 B in 3s (by the running daemon)',
      'FAILED /logs/bad.log: TVM_ERR_S3_TRANSIENT: connection refused (1 attempt(s); kept in the queue)',
      '1 file(s) still queued (not attempted in this pass)',
      'skipped /logs/new.log: still being written (modified within file_stable_seconds); run again later',
    ]);
    const j = io();
    printSummary(j.cli, s, true);
    expect(JSON.parse(j.out[0]!)).to.deep.include({ uploaded: 1, remaining: 1 });
  });
});
