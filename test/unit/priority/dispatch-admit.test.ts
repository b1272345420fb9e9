import { expect } from 'chai';
import { Dispatcher } from '../../../src/pipeline/dispatcher.js';
import { UploadGate } from '../../../src/schedule/upload-gate.js';
import type { FileRecord } from '../../../src/state/types.js';
import type { PriorityRank } from '../../../src/priority/priority.js';
import { ManualTimers } from '../../support/fakes.js';
import { input, useFreshStore } from '../state/helpers.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

describe('dispatcher with a priority gate (link policy)', () => {
  const store = useFreshStore();

  function setup(concurrency = 1) {
    const timers = new ManualTimers();
    const files = store().files;
    const gate = new UploadGate(
      { operationalHours: { enabled: false, start: 0, end: 0 }, schedule: { mode: 'interval', intervalMinutes: 60 }, uploadOnStart: true, batchUpload: { enabled: true } },
      timers.now(),
    );
    let allowed: PriorityRank | null = 2;
    const started: string[] = [];
    const running = new Map<string, { done: () => void }>();
    const job = (r: FileRecord, signal: AbortSignal) =>
      new Promise<void>((resolve) => {
        started.push(r.relPath);
        running.set(r.relPath, {
          done: () => {
            files.markUploaded(r.id, { objectKey: 'k', contentSha256: 'x', uploadedAt: 1, size: r.size, mtimeMs: r.mtimeMs });
            resolve();
          },
        });
        signal.addEventListener('abort', () => {
          files.release(r.id);
          resolve();
        });
      });
    const d = new Dispatcher({ queue: files, gate, concurrency, job, timers, onError: () => undefined, admit: () => allowed });
    const add = (name: string, priority: PriorityRank, at: number) =>
      files.enqueue(input({ path: `/logs/ros/${name}`, relPath: name, priority }), at);
    return { d, files, started, running, add, allow: (p: PriorityRank | null) => (allowed = p) };
  }

  it('claims only what the gate admits and nothing while it admits nothing', async () => {
    const s = setup(2);
    s.add('normal', 1, 1);
    s.add('high', 0, 2);
    s.allow(null);
    s.d.wake();
    expect(s.started).to.deep.equal([]);
    s.allow(0);
    s.d.wake();
    expect(s.started).to.deep.equal(['high']);
    s.allow(2);
    s.d.wake();
    expect(s.started).to.deep.equal(['high', 'normal']);
    await flush();
  });

  it('lets a high file that becomes ready go next, ahead of an older normal backlog', async () => {
    const s = setup(1);
    for (let i = 0; i < 3; i++) s.add(`n${i}`, 1, i);
    s.d.wake();
    s.add('incident', 0, 100);
    s.running.get('n0')!.done();
    await flush();
    expect(s.started).to.deep.equal(['n0', 'incident']);
  });

  it('revoke interrupts in-flight uploads the gate no longer admits and returns them to the queue', async () => {
    const s = setup(2);
    s.add('normal', 1, 1);
    s.add('high', 0, 2);
    s.d.wake();
    expect(s.started).to.have.members(['normal', 'high']);
    s.allow(0);
    expect(s.d.revoke('link changed')).to.equal(1);
    expect(s.d.revoke('link changed')).to.equal(0); // already interrupted
    await flush();
    expect(s.files.getByPath('/logs/ros/normal')).to.deep.include({ status: 'queued', attempts: 0 });
    expect(s.files.getByPath('/logs/ros/high')?.status).to.equal('in_flight');
  });
});
