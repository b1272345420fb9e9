/**
 * Property: whatever the tree (files, symlinks, subdirectories, a symlinked directory), the
 * directory settings, the upload states, the policies and the disk pressure, a deletion pass
 * never removes a protected, pattern-excluded, symlinked, outside-tree, in-flight, recently
 * modified, changed-since-upload or (outside critical pressure and opt-in age-based) un-uploaded
 * file (queued, or never recorded at all), and nothing at all when no directory allows deletion.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import { buildDeletion } from '../../../src/deletion/build.js';
import type { DeleteFs } from '../../../src/deletion/executor.js';
import { runDeletionPass } from '../../../src/deletion/pass.js';
import { openStateStore } from '../../../src/state/store.js';
import { Telemetry } from '../../../src/telemetry/events.js';
import { silentLogger } from '../../../src/telemetry/logger.js';
import { FakeFs, filesDiskIo, writeFile } from './helpers.js';
import { tempDir, removeDir } from '../../support/temp-dir.js';
import { daemonConfigYaml } from '../../support/daemon-config.js';

const DAY = 24 * 3_600_000;
const KIB = 1024;
const CAPACITY = 4 * 1024 * KIB;

type State = 'uploaded' | 'queued' | 'in_flight' | 'changed' | 'none';
type Kind = 'file' | 'symlink' | 'in-linked-dir';

interface FileSpec {
  readonly dir: 0 | 1;
  readonly sub: readonly string[];
  readonly name: string;
  readonly size: number;
  /** 0 = modified seconds ago (inside the stability window). */
  readonly ageDays: number;
  readonly state: State;
  readonly kind: Kind;
}

const dirSpec = fc.record({
  recursive: fc.boolean(),
  pattern: fc.constantFrom(null, '*.log', 'x*'),
  allowDeletion: fc.constantFrom(true, true, true, false),
});

const fileSpec: fc.Arbitrary<FileSpec> = fc.record({
  dir: fc.constantFrom(0 as const, 1 as const),
  sub: fc.oneof(fc.constant([]), fc.array(fc.constantFrom('a', 'b'), { maxLength: 2 })),
  name: fc.constantFrom('x.log', 'y.txt', '.hidden.log', 'z.log', 'x1'),
  size: fc.integer({ min: 1, max: 200 * KIB }),
  ageDays: fc.integer({ min: 0, max: 20 }),
  state: fc.constantFrom<State>('uploaded', 'uploaded', 'uploaded', 'queued', 'queued', 'in_flight', 'changed', 'none'),
  kind: fc.constantFrom<Kind>('file', 'file', 'file', 'file', 'symlink', 'in-linked-dir'),
});

const policySpec = fc.record({
  afterUpload: fc.option(fc.constantFrom(0, 1, 5), { nil: null }),
  age: fc.option(fc.record({ maxAgeDays: fc.integer({ min: 0, max: 10 }), includeNotUploaded: fc.boolean() }), { nil: null }),
  emergency: fc.constantFrom(true, true, false),
  /** Bytes used besides our files, so usage covers normal, warning and critical. */
  baseline: fc.integer({ min: 0, max: CAPACITY }),
});

function globMatch(pattern: string | null, name: string): boolean {
  if (name.startsWith('.')) return false;
  if (pattern === null) return true;
  if (pattern === '*.log') return name.endsWith('.log');
  return name.startsWith('x');
}

describe('deletion safety (property)', function () {
  // Each run builds a real tree and state store; sixty of them take seconds on a loaded machine.
  this.timeout(120_000);

  it('never deletes a file any safety layer protects, whatever the tree, settings, states and pressure', async () => {
    // Across all runs the passes must delete something, un-uploaded files included, or the
    // property would hold vacuously.
    const totals = { deleted: 0, notUploaded: 0, byEmergency: 0 };
    await fc.assert(
      fc.asyncProperty(fc.tuple(dirSpec, dirSpec), fc.array(fileSpec, { minLength: 2, maxLength: 14 }), policySpec, async (dirs, files, policy) => {
        const root = tempDir('tvm-prop-');
        // The state database lives outside the measured tree: the fake disk's usage is the
        // baseline plus the log files only, so the audit rows a pass writes (its WAL growing)
        // cannot carry usage over a threshold mid-pass and blur what the assertions compare.
        const stateRoot = tempDir('tvm-prop-state-');
        try {
          const logDirs = [join(root, 'd0'), join(root, 'd1')];
          const outside = join(root, 'outside');
          for (const d of [...logDirs, outside]) mkdirSync(d, { recursive: true });
          // A symlinked directory inside d0 pointing outside the tree.
          symlinkSync(outside, join(logDirs[0]!, 'linked'));
          const deletion = {
            after_upload: { enabled: policy.afterUpload !== null, keep_days: policy.afterUpload ?? 0 },
            age_based: { enabled: policy.age !== null, max_age_days: policy.age?.maxAgeDays ?? 7, include_not_uploaded: policy.age?.includeNotUploaded ?? false },
            emergency: { enabled: policy.emergency },
          };
          const directories = dirs.map((d, i) => ({ path: logDirs[i]!, source: `s${i}`, recursive: d.recursive, pattern: d.pattern, allow_deletion: d.allowDeletion }));
          const overrides = { upload: { schedule: '01:00', file_stable_seconds: 60 }, deletion, disk: { reserved_gb: 0.0001, warning_threshold: 0.5, critical_threshold: 0.8 } };
          const config = parseConfig(daemonConfigYaml({ root: stateRoot, bucket: 'tvm-logs', vehicleId: 'v', directories, overrides }), { env: {} });
          const store = openStateStore({ dir: config.stateDir, logger: silentLogger() });
          const now = Date.now();
          const seen = new Map<string, FileSpec>();
          files.forEach((f, i) => {
            // Unique names that keep what the patterns look at: a leading "." or "x", the extension.
            const name = f.name.replace(/^([.x]?)/, `$1${i}`);
            const base = f.kind === 'in-linked-dir' ? join(logDirs[0]!, 'linked') : join(logDirs[f.dir]!, ...f.sub);
            const path = join(base, name);
            const mtime = f.ageDays === 0 ? now - 10_000 : now - f.ageDays * DAY;
            let real: number;
            if (f.kind === 'symlink') {
              const target = join(outside, `t${i}`);
              real = writeFile(target, f.size, mtime);
              mkdirSync(base, { recursive: true });
              symlinkSync(target, path);
            } else {
              real = writeFile(path, f.size, mtime);
            }
            seen.set(path, f);
            const source = f.kind === 'in-linked-dir' ? 's0' : `s${f.dir}`;
            const rel = path.slice((f.kind === 'in-linked-dir' ? logDirs[0]! : logDirs[f.dir]!).length + 1);
            const input = { path, source, relPath: rel, size: f.size, mtimeMs: real };
            if (f.state === 'uploaded' || f.state === 'changed') {
              store.files.importUploaded({ ...input, size: f.state === 'changed' ? f.size + 1 : f.size, uploadedAt: now - f.ageDays * DAY, objectKey: 'k' });
            } else if (f.state !== 'none') {
              store.files.enqueue(input, now);
              if (f.state === 'in_flight') store.db.prepare(`UPDATE files SET status = 'in_flight' WHERE path = ?`).run(path);
            }
          });
          const beforeLinks = [...seen].filter(([, f]) => f.kind === 'symlink').map(([p]) => p);
          const io = filesDiskIo(root, CAPACITY, policy.baseline);
          const { pass } = buildDeletion({
            config, db: store.db, dbPath: store.dbPath, enqueue: (x, t) => store.files.enqueue(x, t),
            telemetry: new Telemetry(silentLogger()), logger: silentLogger(), now: () => now, dryRun: false, diskIo: io,
          });
          const report = await runDeletionPass(pass, { trigger: 'cleanup', forceAgeBased: true });
          store.close();
          const startUsage = (report.filesystems[0]?.before.usedPercent ?? 0) / 100;
          totals.deleted += report.deletedCount;
          totals.notUploaded += report.notUploadedCount;
          totals.byEmergency += report.entries.filter((e) => e.policy === 'emergency').length;

          for (const e of report.entries) {
            const f = seen.get(e.path);
            expect(f, `deleted a file the test never made: ${e.path}`).to.not.equal(undefined);
            if (f === undefined) continue;
            const d = dirs[f.dir]!;
            const name = e.path.slice(e.path.lastIndexOf('/') + 1);
            expect(f.kind, e.path).to.equal('file');
            expect(d.allowDeletion, e.path).to.equal(true);
            expect(globMatch(d.pattern, name), e.path).to.equal(true);
            expect(d.recursive || f.sub.length === 0, e.path).to.equal(true);
            expect(f.ageDays, e.path).to.be.above(0);
            expect(['in_flight', 'changed']).to.not.include(f.state);
            if (f.state === 'queued' || f.state === 'none') {
              const optIn = e.policy === 'age_based' && policy.age?.includeNotUploaded === true;
              const critical = e.policy === 'emergency' && policy.emergency && startUsage >= 0.8;
              expect(optIn || critical, `${e.path} deleted un-uploaded by ${e.policy} at ${startUsage}`).to.equal(true);
            }
          }
          // Nothing reported is still there; nothing protected went missing unreported.
          const reported = new Set(report.entries.map((e) => e.path));
          for (const [path] of seen) expect(existsSync(path) || lstatExists(path), path).to.equal(!reported.has(path));
          for (const link of beforeLinks) expect(lstatExists(link), link).to.equal(true);
          if (dirs.every((d) => !d.allowDeletion)) expect(report.deletedCount).to.equal(0);
        } finally {
          removeDir(root);
          removeDir(stateRoot);
        }
      }),
      { numRuns: 60 },
    );
    expect(totals.deleted).to.be.above(0);
    expect(totals.notUploaded).to.be.above(0);
    expect(totals.byEmergency).to.be.above(0);
  });

  it('cannot even be configured to watch / (the state_dir would be inside it)', () => {
    expect(() =>
      parseConfig(`vehicle_id: v\nlog_directories: [{path: /, source: sys}]\ns3: {bucket: tvm-logs, region: us-east-1}\nupload: {schedule: "01:00"}\ndisk: {reserved_gb: 1}\nstate_dir: /tmp/tvm-state\n`, { env: {} }),
    ).to.throw(/state_dir: "\/tmp\/tvm-state" is inside the watched directory log_directories\[0\] \("\/"\)/);
  });

  it('never unlinks below a protected system directory, whatever the policies and states', async () => {
    // '/' itself cannot be configured any more (every state_dir is inside it, which config
    // refuses: see the test below); the safety layer's own '/' rule is unit-tested in safety.test.ts.
    const protectedRoots = ['/var', '/etc', '/usr', '/opt', '/boot'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...protectedRoots), fc.boolean(), fc.constantFrom('uploaded', 'queued'), async (dir, recursive, state) => {
        const root = tempDir('tvm-prop-');
        try {
          const config = parseConfig(
            `vehicle_id: v
log_directories:
  - {path: ${dir}, source: sys, recursive: ${recursive}}
s3: {bucket: tvm-logs, region: us-east-1}
upload: {schedule: "01:00"}
deletion:
  after_upload: {enabled: true, keep_days: 0}
  age_based: {enabled: true, max_age_days: 0, include_not_uploaded: true}
  emergency: {enabled: true}
disk: {reserved_gb: 100000}
state_dir: ${join(root, 'state')}
`,
            { env: {} },
          );
          const store = openStateStore({ dir: config.stateDir, logger: silentLogger() });
          const path = join(dir, 'tvm-never-real.log');
          const fake = new FakeFs().file(path, 10, Date.now() - 30 * DAY);
          if (state === 'uploaded') {
            store.files.importUploaded({ path, source: 'sys', relPath: 'tvm-never-real.log', size: 10, mtimeMs: Date.now() - 30 * DAY, uploadedAt: 0, objectKey: 'k' });
          } else {
            store.files.enqueue({ path, source: 'sys', relPath: 'tvm-never-real.log', size: 10, mtimeMs: Date.now() - 30 * DAY }, Date.now());
          }
          const unlinked: string[] = [];
          const deleteFs: DeleteFs = { unlink: (p) => unlinked.push(p), rmdir: () => undefined };
          const { pass } = buildDeletion({
            config, db: store.db, dbPath: store.dbPath, enqueue: () => undefined, telemetry: new Telemetry(silentLogger()), logger: silentLogger(),
            now: Date.now, dryRun: false, safetyFs: fake, deleteFs, diskIo: filesDiskIo(root, 1000, 1000),
          });
          const report = await runDeletionPass(pass, { trigger: 'cleanup', forceAgeBased: true });
          store.close();
          expect(unlinked).to.deep.equal([]);
          expect(report.deletedCount).to.equal(0);
        } finally {
          removeDir(root);
        }
      }),
      { numRuns: 24 },
    );
  });
});

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
