/**
 * Emergency deletion on a real small filesystem: a 16 MiB tmpfs (CI runs as root) holding the
 * watched directory, filled past the thresholds with real files, measured with the real statfs.
 * Where mounting is not permitted the test says so and measures with an injected statfs probe
 * computed from the same files instead (TVM_TEST_NO_TMPFS=1 forces that path).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeletion } from '../../../src/deletion/build.js';
import { runDeletionPass } from '../../../src/deletion/pass.js';
import type { DiskUsageIo } from '../../../src/disk/usage.js';
import { openStateStore, type StateStore } from '../../../src/state/store.js';
import { Telemetry } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { emergencyOnlyConfig, filesDiskIo, writeFile } from '../../unit/deletion/helpers.js';

const MIB = 1024 * 1024;
const SIZE_MIB = 16;
const DAY = 24 * 3_600_000;

/** Mounts a tmpfs at `dir`; the reason it could not, or null. */
function mountTmpfs(dir: string): string | null {
  if (process.env.TVM_TEST_NO_TMPFS !== undefined) return 'TVM_TEST_NO_TMPFS is set';
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MIB}m`, 'tvm-test', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `mount refused: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}

describe('emergency deletion on a real small filesystem', function () {
  this.timeout(60_000);
  let base: string;
  let mnt: string;
  let mounted = false;
  let probe: DiskUsageIo | undefined;
  let store: StateStore;
  let logs: string;

  before(function () {
    base = mkdtempSync(join(tmpdir(), 'tvm-tmpfs-'));
    mnt = join(base, 'mnt');
    mkdirSync(mnt);
    const refused = mountTmpfs(mnt);
    mounted = refused === null;
    if (!mounted) {
      console.log(`      (no tmpfs: ${refused}; measuring with an injected statfs probe instead)`);
    }
  });
  after(() => {
    if (mounted) execFileSync('umount', [mnt]);
    rmSync(base, { recursive: true, force: true });
  });
  beforeEach(() => {
    logs = join(mnt, 'logs');
    mkdirSync(logs, { recursive: true });
    probe = mounted ? undefined : filesDiskIo(mnt, SIZE_MIB * MIB);
    store = openStateStore({ dir: join(base, `state-${Date.now()}`), logger: silentLogger() });
  });
  afterEach(() => {
    store.close();
    for (const e of readdirSync(mnt)) rmSync(join(mnt, e), { recursive: true, force: true });
  });

  async function pass(warning: number, critical: number) {
    const config = emergencyOnlyConfig({ [logs]: 'ros' }, { warning, critical }, `${base}/unused`);
    const { pass: deps } = buildDeletion({
      config, db: store.db, dbPath: store.dbPath, enqueue: (i, t) => store.files.enqueue(i, t),
      telemetry: new Telemetry(silentLogger()), logger: silentLogger(), now: Date.now, dryRun: false, ...(probe ? { diskIo: probe } : {}),
    });
    return runDeletionPass(deps, { trigger: 'timer' });
  }

  function uploaded(name: string, mib: number, ageDays: number): string {
    const path = join(logs, name);
    const mtimeMs = writeFile(path, mib * MIB, Date.now() - ageDays * DAY);
    store.files.importUploaded({ path, source: 'ros', relPath: name, size: mib * MIB, mtimeMs, uploadedAt: Date.now() - DAY, objectKey: name });
    return path;
  }

  function queued(name: string, mib: number, ageDays: number): string {
    const path = join(logs, name);
    const mtimeMs = writeFile(path, mib * MIB, Date.now() - ageDays * DAY);
    store.files.enqueue({ path, source: 'ros', relPath: name, size: mib * MIB, mtimeMs }, Date.now());
    return path;
  }

  it('at warning deletes the oldest uploaded files until below warning and keeps every un-uploaded file', async () => {
    const ups = [4, 3, 2, 1].map((age) => uploaded(`up-${age}d.log`, 2, age));
    const qs = [9, 8].map((age) => queued(`q-${age}d.log`, 1, age));
    // 10 MiB of 16 = 62.5 %: warning (60 %), not critical (80 %); one 2 MiB file → 50 %.
    const r = await pass(0.6, 0.8);
    expect(r.filesystems[0]!.before.usedPercent).to.be.within(60, 80);
    expect(r.filesystems[0]!.pressure).to.equal('normal');
    expect(r.entries.map((e) => e.path)).to.deep.equal([ups[0]]);
    expect([...ups.slice(1), ...qs].every((p) => existsSync(p))).to.equal(true);
  });

  it('at critical deletes every uploaded file first, then un-uploaded ones oldest first, only until below critical', async () => {
    const up = uploaded('up.log', 2, 1);
    const qs = Array.from({ length: 12 }, (_, i) => queued(`q-${String(i).padStart(2, '0')}.log`, 1, 20 - i));
    // 14 MiB of 16 = 87.5 %: uploaded first → 75 %, still ≥ 70 % critical → oldest queued → 68.75 %.
    const r = await pass(0.6, 0.7);
    expect(r.filesystems[0]!.before.usedPercent).to.be.above(80);
    expect(r.entries.map((e) => [e.path, e.uploaded])).to.deep.equal([
      [up, true],
      [qs[0], false],
    ]);
    expect(r.filesystems[0]!.after.usedPercent).to.be.below(70);
    expect(qs.slice(1).every((p) => existsSync(p))).to.equal(true);
  });
});
