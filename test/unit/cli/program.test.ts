import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/program.js';
import type { CliIo } from '../../../src/cli/io.js';
import { reportError } from '../../../src/cli/io.js';
import { openStateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';
import { daemonConfigYaml } from '../../support/daemon-config.js';

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env };
  return { cli, out: () => out.join(''), err: () => err.join('') };
}

describe('cli', () => {
  let dir: string;
  let good: string;
  beforeEach(() => {
    dir = tempDir('tvm-cli-');
    good = join(dir, 'config.yaml');
    // The reference's 60 s stability wait: a file written during the test is "still being written".
    writeFileSync(good, daemonConfigYaml({ root: dir, bucket: 'tvm-cli', vehicleId: 'cli-test', overrides: { upload: { file_stable_seconds: 60 } } }));
  });
  afterEach(() => removeDir(dir));

  it('prints the version and exits 0', async () => {
    const t = io();
    expect(await runCli(['--version'], t.cli)).to.equal(0);
    expect(t.out()).to.match(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 on an unknown option, with a one-line message', async () => {
    const t = io();
    expect(await runCli(['check-config', '--bogus'], t.cli)).to.equal(2);
    expect(t.err()).to.include("unknown option '--bogus'");
  });

  it('check-config accepts a valid file, exits 0 and summarises it', async () => {
    const t = io();
    expect(await runCli(['check-config', '--config', good], t.cli)).to.equal(0);
    expect(t.out()).to.include('configuration OK');
    expect(t.out()).to.include('cli-test');
  });

  it('accepts the reference\'s --test-config flag as an alias', async () => {
    const t = io();
    expect(await runCli(['--test-config', '--config', good], t.cli)).to.equal(0);
    expect(t.out()).to.include('configuration OK');
  });

  it('takes the config path from TVM_UPLOAD_CONFIG', async () => {
    const t = io({ TVM_UPLOAD_CONFIG: good });
    expect(await runCli(['check-config'], t.cli)).to.equal(0);
    expect(t.out()).to.include(`configuration OK: ${good}`);
    expect(t.out()).to.include('cli-test');
  });

  it('lets --config win over TVM_UPLOAD_CONFIG', async () => {
    const other = join(dir, 'other.yaml');
    writeFileSync(other, readFileSync(good, 'utf8').replace('vehicle_id: cli-test', 'vehicle_id: from-flag'));
    const t = io({ TVM_UPLOAD_CONFIG: good });
    expect(await runCli(['check-config', '--config', other], t.cli)).to.equal(0);
    expect(t.out()).to.include(`configuration OK: ${other}`);
    expect(t.out()).to.include('from-flag');
    expect(t.out()).not.to.include('cli-test');
  });

  it('check-config exits 2 listing every problem, without a stack trace', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'vehicle_id: ""\nlog_directories: []\ns3: {bucket: x}\nupload: {schedule: "25:00"}\ndisk: {reserved_gb: -1}\n');
    const t = io();
    expect(await runCli(['check-config', '--config', bad], t.cli)).to.equal(2);
    const text = t.err();
    expect(text).to.include('upload.schedule');
    expect(text).to.include('disk.reserved_gb');
    expect(text).to.include('s3.region');
    expect(text).not.to.match(/\n\s+at /);
  });

  it('exits 2 when the config file does not exist, naming it', async () => {
    const t = io();
    expect(await runCli(['check-config', '--config', join(dir, 'nope.yaml')], t.cli)).to.equal(2);
    expect(t.err()).to.include(join(dir, 'nope.yaml'));
  });

  it('run exits 2 on a bad config and on a bad log level, before starting anything', async () => {
    const t = io();
    expect(await runCli(['run', '--config', join(dir, 'nope.yaml')], t.cli)).to.equal(2);
    const t2 = io();
    expect(await runCli(['run', '--config', good, '--log-level', 'LOUD'], t2.cli)).to.equal(2);
    expect(t2.err()).to.include('--log-level');
  });

  it('status reports that the daemon never ran on this state dir', async () => {
    const t = io();
    expect(await runCli(['status', '--config', good], t.cli)).to.equal(1);
    expect(t.err()).to.include('no state database');
  });

  it('status shows queue counts, as text and as JSON', async () => {
    const store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
    store.files.enqueue({ path: `${dir}/logs/a.log`, source: 'ros', relPath: 'a.log', size: 1, mtimeMs: 1 }, Date.now());
    const rec = store.files.claimNext(Date.now(), { exclude: new Set(), queuedSince: null })!;
    store.files.markFailed(rec.id, { error: 'bucket missing', code: 'TVM_ERR_S3_NO_SUCH_BUCKET', nextAttemptAt: Date.now() + 1000 });
    const t = io();
    expect(await runCli(['status', '--config', good], t.cli)).to.equal(0);
    expect(t.out()).to.include(`daemon:    running (pid ${process.pid})`);
    expect(t.out()).to.include('queued:    1');
    expect(t.out()).to.include('TVM_ERR_S3_NO_SUCH_BUCKET');
    store.close();
    const j = io();
    expect(await runCli(['status', '--config', good, '--json'], j.cli)).to.equal(0);
    const parsed = JSON.parse(j.out()) as { queued: number; daemon: string };
    expect(parsed.queued).to.equal(1);
    expect(parsed.daemon).to.equal('not running');
  });

  it('status of an empty queue: zero counts, no oldest entry, no retrying lines', async () => {
    openStateStore({ dir: join(dir, 'state'), logger: silentLogger() }).close();
    const t = io();
    expect(await runCli(['status', '--config', good], t.cli)).to.equal(0);
    expect(t.out()).to.include('queued:    0 (in flight 0), 0 B pending');
    expect(t.out()).not.to.include('oldest waiting');
    expect(t.out()).not.to.include('retrying:');
    const j = io();
    expect(await runCli(['status', '--config', good, '--json'], j.cli)).to.equal(0);
    const r = JSON.parse(j.out()) as Record<string, unknown>;
    expect(r).to.include({ daemon: 'not running', queued: 0, inFlight: 0, uploaded: 0, bytesPending: 0, oldestPendingAt: null, oldestPendingAgeSeconds: null });
    expect(r['retrying']).to.deep.equal([]);
    expect(r['queueHead']).to.deep.equal([]);
  });

  it('upload-now --dry-run lists eligible files with keys and sizes, skipping uploaded and changing ones, and writes nothing', async () => {
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(join(dir, 'logs', 'a.log'), 'x'.repeat(10));
    writeFileSync(join(dir, 'logs', 'b.bag'), 'y'.repeat(20));
    utimesSync(join(dir, 'logs', 'a.log'), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    utimesSync(join(dir, 'logs', 'b.bag'), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
    writeFileSync(join(dir, 'logs', 'growing.log'), 'z');
    const t = io();
    expect(await runCli(['upload-now', '--config', good, '--dry-run'], t.cli)).to.equal(0);
    expect(t.out()).to.match(/would upload .*a\.log → s3:\/\/tvm-cli\/cli-test\/\d{4}-\d\d-\d\d\/ros\/a\.log\.gz \(10 B\)/);
    expect(t.out()).to.match(/would upload .*b\.bag → s3:\/\/tvm-cli\/cli-test\/\d{4}-\d\d-\d\d\/ros\/b\.bag \(20 B\)/);
    expect(t.out()).to.match(/would skip .*growing\.log: still being written/);
    expect(t.out()).to.include('dry run: 2 file(s), 30 B would be uploaded; 0 already uploaded');
    expect(existsSync(join(dir, 'state'))).to.equal(false);

    const store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
    const st = statSync(join(dir, 'logs', 'a.log'));
    store.files.importUploaded({ path: join(dir, 'logs', 'a.log'), source: 'ros', relPath: 'a.log', size: st.size, mtimeMs: st.mtimeMs, uploadedAt: Date.now(), objectKey: 'k' });
    store.close();
    const j = io();
    expect(await runCli(['upload-now', '--config', good, '--dry-run', '--json'], j.cli)).to.equal(0);
    const plan = JSON.parse(j.out()) as { count: number; alreadyUploaded: number; stillChanging: string[] };
    expect(plan).to.deep.include({ count: 1, alreadyUploaded: 1 });
    expect(plan.stillChanging).to.have.length(1);
  });

  it('upload-now exits 2 on a configuration error', async () => {
    const t = io();
    expect(await runCli(['upload-now', '--config', join(dir, 'nope.yaml')], t.cli)).to.equal(2);
  });

  it('maps errors to exit codes: config/usage 2, runtime 1, bugs 1 with a stack', () => {
    const t = io();
    expect(reportError(t.cli, new TvmError(ErrorCodes.USAGE, 'bad flag'))).to.equal(2);
    expect(reportError(t.cli, new TvmError(ErrorCodes.STATE_UNAVAILABLE, 'locked'))).to.equal(1);
    expect(reportError(t.cli, new Error('bug'))).to.equal(1);
    expect(reportError(t.cli, 'a string')).to.equal(1);
    expect(t.err()).to.include('unexpected error (please report it)');
  });
});
