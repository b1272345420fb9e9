/**
 * `tvm-upload run` in process, driven by signal requests from a fake source, against s3rver:
 * the same paths the real-process suites take (reload, upload pass, deletion pass, stop, a
 * second stop), here so that they count for coverage.
 */
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { runCommand } from '../../../src/cli/run.js';
import type { CliIo } from '../../../src/cli/io.js';
import { SignalRequests } from '../../../src/signals.js';
import { startS3rver, type S3TestServer } from '../../support/s3-servers.js';
import { S3RVER_ENV } from '../../support/cli-daemon.js';
import { daemonConfig, writeDaemonConfig, type ConfigTree } from '../../support/daemon-config.js';
import { waitFor } from '../../support/ports.js';

describe('run command and signal requests (in process, s3rver)', function () {
  this.timeout(120_000);
  let server: S3TestServer;
  let dir: string;
  let config: string;
  const bucket = 'tvm-run-signals';
  const io: CliIo = { out: () => undefined, err: () => undefined, env: { ...process.env, ...S3RVER_ENV } };
  // The SDK's credential chain reads process.env itself, not io.env.
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    for (const [k, v] of Object.entries(S3RVER_ENV)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    server = await startS3rver();
    await server.bucket(bucket);
  });
  after(async () => {
    await server.stop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tvm-run-signals-'));
    config = join(dir, 'config.yaml');
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (directories: string[], upload: ConfigTree = {}): void =>
    writeDaemonConfig(
      config,
      daemonConfig({
        root: dir, endpoint: server.endpoint, bucket, vehicleId: 'cli-proc',
        directories: directories.map((d) => ({ path: join(dir, d), source: d })),
        overrides: { upload: { file_stable_seconds: 0.5, ...upload } },
      }),
    );
  const uploaded = async (name: string): Promise<boolean> => {
    const r = await server.client().send(new ListObjectsV2Command({ Bucket: bucket }));
    return (r.Contents ?? []).some((o) => o.Key!.endsWith(`/${name}`) || o.Key!.endsWith(`/${name}.gz`));
  };

  it('reloads on HUP, takes upload and deletion requests, and stops on TERM; a second stop exits at once', async () => {
    write(['a']);
    const source = new EventEmitter();
    const exits: number[] = [];
    const signals = new SignalRequests(source, (c) => exits.push(c));
    source.emit('SIGUSR1'); // before the daemon is ready: kept for later
    const running = runCommand(io, { config, logLevel: 'silent', signals, exitNow: (c) => exits.push(c) });
    writeFileSync(join(dir, 'a', 'first.log'), 'a\n');
    expect(await waitFor(() => uploaded('first.log'), 60_000), 'first.log uploaded').to.equal(true);
    expect(signals.pending('upload')).to.equal(0);

    write(['b'], { schedule: { mode: 'interval', interval_hours: 2 }, bandwidth: { max_mbps: 100 }, retry: { max_attempts: 3 } });
    source.emit('SIGHUP');
    writeFileSync(join(dir, 'b', 'second.log'), 'b\n');
    expect(await waitFor(() => uploaded('second.log'), 60_000), 'second.log uploaded after the reload').to.equal(true);

    writeFileSync(config, 'vehicle_id: 7\n'); // invalid: the daemon keeps the configuration it has
    source.emit('SIGHUP');
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(join(dir, 'b', 'third.log'), 'b\n');
    expect(await waitFor(() => uploaded('third.log'), 60_000), 'third.log uploaded after a refused reload').to.equal(true);

    source.emit('SIGUSR2');
    source.emit('SIGTERM');
    source.emit('SIGINT');
    expect(await running).to.equal(0);
    expect(exits).to.deep.equal([130]);
    signals.dispose();
  });

  it('stops before opening anything when TERM arrives during start-up', async () => {
    write(['a']);
    const source = new EventEmitter();
    const signals = new SignalRequests(source, () => undefined);
    const running = runCommand(io, { config, logLevel: 'silent', signals });
    source.emit('SIGTERM');
    expect(await running).to.equal(0);
    signals.dispose();
  });
});
