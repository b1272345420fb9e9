/**
 * resumeState: what the daemon does with its store before anything runs (state/resume.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { parseConfig } from '../../../src/config/load.js';
import { resumeState } from '../../../src/state/resume.js';
import { RECOVERY_PENDING_KEY, STATE_REBUILT_AT_KEY, type StateStore } from '../../../src/state/store.js';
import { daemonConfigYaml } from '../../support/daemon-config.js';
import { capturingLogger, input, open, removeDir, tempDir } from './helpers.js';

describe('state/resume', () => {
  let root: string;
  let store: StateStore;
  const config = () => parseConfig(daemonConfigYaml({ root, endpoint: 'http://127.0.0.1:1' }), { env: {} });
  const NOW = Date.UTC(2026, 11, 7);

  beforeEach(() => {
    root = tempDir('tvm-resume-');
    fs.mkdirSync(path.join(root, 'logs'), { recursive: true });
    fs.mkdirSync(path.join(root, 'legacy'), { recursive: true });
    store = open(path.join(root, 'state'));
  });
  afterEach(() => {
    store.close();
    removeDir(root);
  });

  it("imports the Python daemon's queue once, saying what it imported, and never again", () => {
    const log = path.join(root, 'logs', 'run-1.log');
    fs.writeFileSync(log, 'x'.repeat(100));
    fs.writeFileSync(path.join(root, 'legacy', 'queue.json'), JSON.stringify([{ filepath: log, size: 100, detected_at: '2026-12-06T08:00:00.000000', attempts: 0 }]));
    const first = capturingLogger();
    resumeState(store, config(), first.logger, NOW);
    expect(store.files.getByPath(log)?.status).to.equal('queued');
    const line = first.lines.find((l) => l.msg === "imported the Python daemon's queue and registry");
    expect(line).to.deep.include({ queued: 1, uploaded: 0, tombstones: 0 });
    const second = capturingLogger();
    resumeState(store, config(), second.logger, NOW);
    expect(second.lines.map((l) => l.msg)).to.not.include("imported the Python daemon's queue and registry");
  });

  it('on a store that never ran, imported nothing and resumes nothing: no such lines, not recovering', () => {
    const { logger, lines } = capturingLogger();
    expect(resumeState(store, config(), logger, NOW)).to.deep.equal({ recovering: false, rebuiltAt: Number.NEGATIVE_INFINITY });
    const msgs = lines.map((l) => l.msg);
    expect(msgs).to.not.include("imported the Python daemon's queue and registry");
    expect(msgs).to.not.include('resuming uploads interrupted by the last shutdown');
  });

  it('puts rows left in flight by the last run back in the queue and says how many', () => {
    for (const name of ['a.log', 'b.log', 'c.log']) store.files.enqueue(input({ path: path.join(root, 'logs', name) }), NOW - 1000);
    store.files.claimNext(NOW);
    store.files.claimNext(NOW);
    const { logger, lines } = capturingLogger();
    resumeState(store, config(), logger, NOW);
    expect(store.files.countByStatus()).to.deep.include({ queued: 3, inFlight: 0 });
    expect(lines.find((l) => l.msg === 'resuming uploads interrupted by the last shutdown')).to.deep.include({ files: 2 });
  });

  it('reports a store rebuilt after corruption: recovering until the start-up scan completes, and since when', () => {
    store.meta.set(RECOVERY_PENDING_KEY, JSON.stringify({ at: NOW - 5000 }));
    store.meta.set(STATE_REBUILT_AT_KEY, String(NOW - 5000));
    expect(resumeState(store, config(), capturingLogger().logger, NOW)).to.deep.equal({ recovering: true, rebuiltAt: NOW - 5000 });
    store.meta.delete(RECOVERY_PENDING_KEY);
    expect(resumeState(store, config(), capturingLogger().logger, NOW)).to.deep.equal({ recovering: false, rebuiltAt: NOW - 5000 });
  });
});
