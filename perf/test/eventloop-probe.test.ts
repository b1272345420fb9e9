/**
 * The preloaded event-loop probe: it must cut windows on SIGUSR2 without disturbing the process
 * (the daemon owns SIGTERM and SIGUSR1), report a blocked loop as delay, and stay silent in
 * worker threads and when no output file is configured.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROBE } from '../harness/daemon-child.js';

function runWithProbe(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', PROBE, '-e', script], { env: { ...process.env, NODE_V8_COVERAGE: '', ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('perf event-loop probe', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tvm-perf-probe-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one window per SIGUSR2 and the rest at exit (none from worker threads), and sees a 200 ms block as delay', async () => {
    const file = join(dir, 'eld.jsonl');
    const script = `
      setTimeout(() => process.kill(process.pid, 'SIGUSR2'), 100);
      setTimeout(() => { const end = Date.now() + 200; while (Date.now() < end); }, 200);
      setTimeout(() => process.kill(process.pid, 'SIGUSR2'), 600);
      setTimeout(() => new (require('node:worker_threads').Worker)('1', { eval: true }), 650);
      setTimeout(() => undefined, 900);`;
    expect((await runWithProbe(script, { PERF_ELD_FILE: file })).code).to.equal(0);
    const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { seq: number; label: string; maxMs: number; count: number });
    expect(rows.map((r) => [r.seq, r.label])).to.deep.equal([[0, 'signal'], [1, 'signal'], [2, 'exit']]);
    expect(rows[1]!.maxMs).to.be.greaterThan(150);
    expect(rows[1]!.count).to.be.greaterThan(5);
  });

  it('installs its SIGUSR2 and exit hooks only when PERF_ELD_FILE is set', async () => {
    const script = "console.log(process.listenerCount('SIGUSR2'), process.listenerCount('exit'))";
    const counts = async (file: string) => (await runWithProbe(script, { PERF_ELD_FILE: file })).stdout.trim().split(' ').map(Number);
    const [offUsr2, offExit] = await counts('');
    const [onUsr2, onExit] = await counts(join(dir, 'on.jsonl'));
    expect([offUsr2, onUsr2]).to.deep.equal([0, 1]);
    expect(onExit! - offExit!).to.equal(1);
    expect(existsSync(join(dir, 'on.jsonl'))).to.equal(true);
  });
});
