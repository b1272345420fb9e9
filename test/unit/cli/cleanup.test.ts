import { expect } from 'chai';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupCommand } from '../../../src/cli/cleanup.js';
import { runCli } from '../../../src/cli/program.js';
import { openStateStore, type StateStore } from '../../../src/state/store.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { filesDiskIo } from '../deletion/helpers.js';
import { removeDir } from '../../support/temp-dir.js';
import { capturedIo, cleanupTree, type CleanupTree } from './cleanup-fixture.js';
import { migratedDb } from '../state/helpers.js';

describe('cli cleanup', () => {
  let dir: string;
  let config: string;
  let uploaded: string;
  let queued: string;
  let configYaml: CleanupTree['configYaml'];
  beforeEach(() => ({ dir, config, uploaded, queued, configYaml } = cleanupTree()));
  afterEach(() => removeDir(dir));

  it('--dry-run lists what would be deleted with policy and reason, and deletes nothing', async () => {
    const t = capturedIo();
    expect(await runCli(['cleanup', '--config', config, '--dry-run'], t.cli)).to.equal(0);
    expect(t.out()).to.include(`would delete: ${uploaded} (1000 bytes, after_upload: uploaded (keep_days 0))`);
    expect(t.out()).to.not.include(queued);
    expect(t.out()).to.match(/dry run: would delete 1 files/);
    expect(t.out()).to.match(/GiB free .* before, .* after \(predicted\)/);
    expect(existsSync(uploaded)).to.equal(true);
  });

  it('deletes standalone and reports as JSON, with free space before and after', async () => {
    const t = capturedIo();
    expect(await cleanupCommand(t.cli, { config, json: true, probes: { diskIo: filesDiskIo(join(dir, 'logs'), 1e9) } })).to.equal(0);
    const r = JSON.parse(t.out()) as { dryRun: boolean; deletedCount: number; files: Array<{ path: string; policy: string }>; filesystems: Array<{ before: { availableBytes: number }; after: { availableBytes: number } }> };
    expect(r.dryRun).to.equal(false);
    expect(r.files.map((f) => [f.path, f.policy])).to.deep.equal([[uploaded, 'after_upload']]);
    expect(r.filesystems[0]!.after.availableBytes - r.filesystems[0]!.before.availableBytes).to.equal(1000);
    expect(existsSync(uploaded)).to.equal(false);
    expect(existsSync(queued)).to.equal(true);
  });

  it('status says the deletion figures are unavailable for a database from before the deletion schema', async () => {
    const old = join(dir, 'old-state');
    // A database written by a release before the deletion schema: version 1 only.
    mkdirSync(old, { recursive: true });
    migratedDb(old, 1).close();
    writeFileSync(config, configYaml({ state_dir: old, deletion: { age_based: { enabled: true } } }));
    const t = capturedIo();
    expect(await runCli(['status', '--config', config], t.cli)).to.equal(0);
    expect(t.out()).to.match(/deletion: +unavailable \(/);
  });

  describe('with a daemon holding the state dir', () => {
    let store: StateStore;
    beforeEach(() => {
      store = openStateStore({ dir: join(dir, 'state'), logger: silentLogger() });
    });
    afterEach(() => store.close());


    it('rejects a --timeout that is not a number of seconds, naming the option', async () => {
      for (const bad of ['soon', '0', '-5', '']) {
        const t = capturedIo();
        expect(await runCli(['cleanup', '--config', config, '--timeout', bad], t.cli)).to.equal(2);
        expect(t.err()).to.include(`--timeout "${bad}" is not a number of seconds`);
      }
    });

    it('still previews with --dry-run, read-only', async () => {
      const t = capturedIo();
      expect(await runCli(['cleanup', '--config', config, '--dry-run'], t.cli)).to.equal(0);
      expect(t.out()).to.include(`would delete: ${uploaded}`);
      expect(existsSync(uploaded)).to.equal(true);
    });

    it('status shows disk usage, what is deletable now and the last pass', async () => {
      const t = capturedIo();
      expect(await runCli(['status', '--config', config], t.cli)).to.equal(0);
      expect(t.out()).to.match(new RegExp(`disk: +${dir}/logs: [0-9.]+% used`));
      expect(t.out()).to.include('deletable: 1 files');
      expect(t.out()).to.include('no deletion pass recorded yet');
      const j = capturedIo();
      expect(await runCli(['status', '--config', config, '--json'], j.cli)).to.equal(0);
      const parsed = JSON.parse(j.out()) as { deletion: { deletableNow: { files: number; bytes: number }; filesystems: unknown[] } };
      expect(parsed.deletion.deletableNow).to.include({ files: 1, bytes: 1000 });
      expect(parsed.deletion.filesystems).to.have.length(1);
    });
  });
});
