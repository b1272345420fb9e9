/**
 * The pieces of the harness that decide what a run measures: the daemon configuration it
 * writes (loaded through the real config loader), the memory formula, the comparison tools'
 * command lines and CPU accounting, the argument parser and the target checks.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { writeDaemonConfig } from '../harness/daemon-config.js';
import { memoryBudget } from '../harness/memory-budget.js';
import { parseTimes, toolCommand } from '../harness/compare-tools.js';
import { check } from '../harness/targets.js';
import { parseRunArgs } from '../run-args.js';

describe('perf harness', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tvm-perf-harness-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const input = (tuning: Parameters<typeof writeDaemonConfig>[1]['tuning']) => ({
    stateDir: join(dir, 'state'),
    dirs: [{ path: join(dir, 'w', 'ros'), source: 'ros' }, { path: join(dir, 'w', 'syslog'), source: 'syslog' }],
    endpoint: 'http://127.0.0.1:9',
    bucket: 'perf-watch',
    tuning,
  });

  it('writes a configuration the daemon accepts and reports the knobs as the daemon resolves them', () => {
    const { knobs } = writeDaemonConfig(dir, input({ fileStableSeconds: 0, codec: 'zstd', level: 1, workers: 2, maxMbps: 16 }));
    expect(knobs).to.deep.include({ fileStableSeconds: 0, codec: 'zstd', level: 1, maxLevel: 9, workers: 2, maxMbps: 16, watchedDirs: 2, concurrency: 4 });
  });

  it('passes max_level through, so a variant can keep one level under a cap', () => {
    const { knobs } = writeDaemonConfig(dir, input({ maxLevel: 6, maxMbps: 16 }));
    expect(knobs).to.deep.include({ codec: 'gzip', level: 6, maxLevel: 6 });
  });

  it('leaves every untuned knob at its documented default', () => {
    const { knobs } = writeDaemonConfig(dir, input({}));
    expect(knobs).to.deep.include({ fileStableSeconds: 60, codec: 'gzip', level: 6, maxLevel: 9, partSizeMb: 8, partConcurrency: 2, maxMbps: null });
    expect(knobs.workers).to.be.at.least(1);
  });

  it('serves the HTTP endpoint only when a suite asks for it, on the address it gives', () => {
    const off = loadConfig(writeDaemonConfig(dir, input({})).path, { env: {} });
    expect(off.monitoring.http.enabled).to.equal(false);
    const on = loadConfig(writeDaemonConfig(dir, { ...input({}), httpListen: '127.0.0.1:9999' }).path, { env: {} });
    expect(on.monitoring.http).to.deep.equal({ enabled: true, listen: '127.0.0.1:9999' });
  });

  it('computes the memory budget from the configuration on top of the measured start RSS', () => {
    const b = memoryBudget({ fileStableSeconds: 0, concurrency: 4, partConcurrency: 2, partSizeMb: 8, workers: 1, codec: 'gzip', level: 6, maxLevel: 6, maxMbps: null, watchedDirs: 4 }, 90);
    expect(b.terms).to.deep.equal({ startRss: 90, partStreams: 1, smallOutputs: 1, workerBuffers: 3, codecState: 0.3, sqliteCache: 2 });
    expect(b.totalMb).to.equal(97.3);
    const z = memoryBudget({ fileStableSeconds: 0, concurrency: 16, partConcurrency: 4, partSizeMb: 8, workers: 2, codec: 'zstd', level: 19, maxLevel: 19, maxMbps: null, watchedDirs: 4 }, 90);
    expect(z.terms.partStreams).to.equal(8);
    expect(z.terms.smallOutputs).to.equal(4);
    expect(z.terms.codecState).to.equal(180);
  });

  it('runs rclone without AWS_CA_BUNDLE (Debian rclone 1.60 fails with it) and with 16 transfers', () => {
    const saved = process.env.AWS_CA_BUNDLE;
    process.env.AWS_CA_BUNDLE = '/etc/ssl/certs/x.pem';
    try {
      const r = toolCommand('rclone', '/data', 'http://127.0.0.1:1234', 'cmp');
      expect(r.env.AWS_CA_BUNDLE).to.equal(undefined);
      expect(r.cmd).to.include.members(['copy', '/data', 'perf:cmp', '--transfers', '16']);
      expect(r.env.RCLONE_CONFIG_PERF_ENDPOINT).to.equal('http://127.0.0.1:1234');
      const aws = toolCommand('awscli-v1', '/data', 'http://127.0.0.1:1234', 'cmp');
      expect(aws.cmd.slice(0, 6)).to.deep.equal(['aws', 's3', 'cp', '/data', 's3://cmp/', '--recursive']);
      expect(aws.env.AWS_REQUEST_CHECKSUM_CALCULATION).to.equal('when_required');
    } finally {
      if (saved === undefined) delete process.env.AWS_CA_BUNDLE;
      else process.env.AWS_CA_BUNDLE = saved;
    }
  });

  it("appends a suite's own tool options (the link suite's --bwlimit) after the common ones", () => {
    const r = toolCommand('rclone', '/data', 'http://127.0.0.1:1234', 'cmp', ['--bwlimit', '2M']);
    expect(r.cmd.slice(-2)).to.deep.equal(['--bwlimit', '2M']);
    expect(r.cmd).to.include.members(['--transfers', '16']);
    expect(toolCommand('rclone', '/data', 'http://127.0.0.1:1234', 'cmp').cmd).not.to.include('--bwlimit');
  });

  it("takes a tool's CPU from the children line of bash's times", () => {
    expect(parseTimes('0m0.003s 0m0.001s\n1m6.800s 0m1.250s\n')).to.deep.equal({ user: 66.8, sys: 1.25 });
    expect(() => parseTimes('nonsense')).to.throw(/unparseable/);
  });

  it('parses the perf command line and rejects unknown suites and options', () => {
    const known = ['thousand', 'idle'];
    expect(parseRunArgs(['--suite', 'idle', '--quick', '--no-compare'], known, '/r')).to.deep.include({ suites: ['idle'], quick: true, compare: false, variants: true, runtime: 'dist', out: '/r' });
    expect(parseRunArgs([], known, '/r').suites).to.deep.equal(known);
    // An on-demand suite (soak) runs only when named.
    expect(parseRunArgs([], [...known, 'soak'], '/r', known).suites).to.deep.equal(known);
    expect(parseRunArgs(['--suite', 'soak'], [...known, 'soak'], '/r', known).suites).to.deep.equal(['soak']);
    expect(parseRunArgs(['--suite', 'thousand,idle', '--runtime', 'tsx', '--node-flag', '--cpu-prof'], known, '/r')).to.deep.include({ suites: known, runtime: 'tsx', nodeFlags: ['--cpu-prof'] });
    expect(() => parseRunArgs(['--suite', 'nope'], known, '/r')).to.throw(/unknown suite "nope"; known: thousand, idle/);
    expect(() => parseRunArgs(['--fast'], known, '/r')).to.throw(/unknown option --fast/);
    expect(() => parseRunArgs(['--runtime', 'bun'], known, '/r')).to.throw(/dist or tsx/);
  });

  it('checks targets by direction and reports an unmeasured figure as neither met nor missed', () => {
    expect(check('x', 0.4, '<=', 0.5, '×').met).to.equal(true);
    expect(check('x', 350, '>=', 400, 'files/s').met).to.equal(false);
    expect(check('x', 1.08, 'within', 0.1, '×').met).to.equal(true);
    expect(check('x', 0.88, 'within', 0.1, '×').met).to.equal(false);
    expect(check('x', null, '<=', 0.5, '×').met).to.equal(null);
  });
});
