import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { openStateStore } from '../../src/state/store.js';
import { silentLogger } from '../../src/telemetry/logger.js';
import { removeDir, tempDir } from '../unit/state/helpers.js';
import { childEnv } from '../support/child-env.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'state-writer-child.ts');

/** Runs the writer child until it has reported `steps` commits after `start`, then SIGKILLs it. */
async function runAndKill(dir: string, start: number, steps: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, String(start)], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  let last = start - 1;
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const l of lines) last = Number(l);
    if (last >= start + steps) child.kill('SIGKILL');
  });
  const signal = await exited;
  expect(signal, `child ended without being killed: ${stderr}`).to.equal('SIGKILL');
  return last;
}

describe('state store crash safety', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = tempDir('tvm-crash-')));
  afterEach(() => removeDir(dir));

  it('keeps every committed step and a consistent database across repeated SIGKILLs', async () => {
    let next = 0;
    for (const steps of [400, 1100, 700]) {
      const last = await runAndKill(dir, next, steps);
      const store = openStateStore({ dir, logger: silentLogger() }); // the dead child's lock is stale
      try {
        const db = store.db;
        expect(db.pragma('integrity_check', { simple: true })).to.equal('ok');
        expect(db.pragma('foreign_key_check')).to.deep.equal([]);
        for (let i = 0; i <= last; i++) expect(store.files.getByPath(`/crash/${i}`), `step ${i}`).to.not.equal(null);
        // A step is one transaction: its file row and its outbox point exist together or not at all.
        const files = db.prepare(`SELECT CAST(substr(path, 8) AS INTEGER) AS i FROM files ORDER BY i`).pluck().all();
        const points = db.prepare('SELECT CAST(value AS INTEGER) FROM outbox ORDER BY value').pluck().all();
        expect(points).to.deep.equal(files);
        const actual = Object.fromEntries(
          (db.prepare('SELECT status, COUNT(*) AS n FROM files GROUP BY status').all() as Array<{ status: string; n: number }>).map(
            (r) => [r.status, r.n],
          ),
        );
        expect(store.files.countByStatus()).to.deep.equal({
          queued: actual.queued ?? 0, inFlight: actual.in_flight ?? 0, uploaded: actual.uploaded ?? 0,
        });
        expect(store.outbox.count()).to.equal(points.length);
        expect(db.prepare(`SELECT COUNT(*) FROM multipart m JOIN files f ON f.id = m.file_id WHERE f.status = 'uploaded'`).pluck().get()).to.equal(0);
        const inFlight = store.files.countByStatus().inFlight;
        expect(store.files.resetInFlight()).to.equal(inFlight);
        next = (files[files.length - 1] as number) + 1;
        expect(next).to.be.greaterThan(last);
      } finally {
        store.close();
      }
    }
  });
});
