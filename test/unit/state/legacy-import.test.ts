import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ErrorCodes } from '../../../src/errors.js';
import type { LogDirectory } from '../../../src/config/types.js';
import { importLegacy, LEGACY_IMPORT_KEY, type LegacyFs, type LegacyImportOptions } from '../../../src/state/legacy-import.js';
import type { StateStore } from '../../../src/state/store.js';
import { capturingLogger, open, removeDir, tempDir } from './helpers.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/legacy');
/** One day after the newest registry entry of the fixtures. */
const NOW = (1795600400 + 86_400) * 1000;

function dirEntry(p: string, source: string): LogDirectory {
  return { path: p, source, recursive: true, pattern: null, allowDeletion: true, legacy: false };
}

describe('legacy import', () => {
  let root: string;
  let store: StateStore;
  let varLib: string;

  /** Copies a fixture into the temp root with @ROOT@ replaced; returns its path. */
  function fixture(name: string, as = name): string {
    const target = path.join(varLib, as);
    fs.writeFileSync(target, fs.readFileSync(path.join(FIXTURES, name), 'utf8').replaceAll('@ROOT@', root));
    return target;
  }

  function file(rel: string, size: number, mtimeSec?: number): string {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, 'x'.repeat(size));
    if (mtimeSec !== undefined) fs.utimesSync(p, mtimeSec, mtimeSec);
    return p;
  }

  function options(over: Partial<LegacyImportOptions> = {}): LegacyImportOptions {
    return {
      queueFile: path.join(varLib, 'queue.json'),
      registryFile: path.join(varLib, 'processed_files.json'),
      logDirectories: [dirEntry(path.join(root, 'logs/ros'), 'ros'), dirEntry(path.join(root, 'logs/syslog'), 'syslog')],
      now: NOW,
      logger: capturingLogger().logger,
      retentionDays: 30,
      ...over,
    };
  }

  beforeEach(() => {
    root = tempDir('tvm-legacy-');
    varLib = path.join(root, 'var-lib');
    fs.mkdirSync(varLib);
    store = open(path.join(root, 'state'));
    file('logs/ros/run-0/launch.log', 1234, 1795600000.1234567);
    file('logs/ros/run-1/launch.log', 2048);
    file('logs/syslog/syslog.1', 512);
    file('elsewhere/notes.txt', 5);
    file('logs/ros/run-2/already.log', 300, 1795600000.5);
    file('logs/ros/run-2/grown.log', 250);
  });
  afterEach(() => {
    store.close();
    removeDir(root);
  });

  const row = (rel: string) => store.files.getByPath(path.join(root, rel));

  it('imports a well-formed queue and registry in the reference format', () => {
    const queueFile = fixture('queue.json');
    const registryFile = fixture('processed_files.json');
    const before = [queueFile, registryFile].map((f) => [fs.readFileSync(f, 'utf8'), fs.statSync(f).mtimeMs]);
    const { logger, lines } = capturingLogger();
    const result = importLegacy(store, options({ logger }));

    expect(result.alreadyDone).to.equal(false);
    expect(result.imported).to.deep.equal({ queued: 4, uploaded: 3, tombstones: 1 });
    expect(result.skipped).to.deep.equal([
      { file: path.join(root, 'logs/ros/run-1/vanished.log'), reason: 'no longer exists' },
      { file: path.join(root, 'logs/ros/run-2/already.log'), reason: `already uploaded per ${registryFile} (same size)` },
    ]);

    expect(row('logs/ros/run-1/launch.log')).to.deep.include({
      status: 'queued', source: 'ros', relPath: 'run-1/launch.log', size: 2048, verifyRemote: true, attempts: 0,
      queuedAt: new Date('2026-11-20T08:15:30.123456').getTime(),
    });
    expect(row('logs/syslog/syslog.1')).to.deep.include({ status: 'queued', source: 'syslog', relPath: 'syslog.1' });
    expect(row('elsewhere/notes.txt')).to.deep.include({ status: 'queued', source: 'other', relPath: 'notes.txt' });
    // In both files with a different size: the queue wins.
    expect(row('logs/ros/run-2/grown.log')).to.deep.include({ status: 'queued', size: 250, verifyRemote: true });
    // Same size in both: the registry wins.
    expect(row('logs/ros/run-2/already.log')).to.deep.include({ status: 'uploaded', size: 300, uploadedAt: 1795600300000 });
    // The newest of two registry entries for one path, its object key unknown.
    expect(row('logs/ros/run-0/launch.log')).to.deep.include({
      status: 'uploaded', source: 'ros', relPath: 'run-0/launch.log', size: 1234, uploadedAt: 1795600100250, objectKey: null,
    });
    // A registry entry for a file deleted since is kept with the recorded mtime.
    expect(row('logs/syslog/syslog.3')).to.deep.include({ status: 'uploaded', size: 900, mtimeMs: 1795000000000 });
    // Uploaded by the reference before the retention period: a tombstone, never sent again while unchanged.
    expect(row('logs/ros/ancient.log')).to.equal(null);
    const ancient = { path: path.join(root, 'logs/ros/ancient.log'), source: 'ros', relPath: 'ancient.log', size: 1, mtimeMs: 1_790_000_000_000 };
    expect(store.files.enqueue(ancient, NOW)).to.equal('already-uploaded');
    expect(store.files.enqueue({ ...ancient, size: 2 }, NOW)).to.equal('queued');
    expect(row('logs/ros/run-1/vanished.log')).to.equal(null);

    // Oldest detected_at is claimed first.
    expect(store.files.claimNext(NOW, { exclude: new Set() })!.path).to.equal(path.join(root, 'logs/syslog/syslog.1'));

    expect(JSON.parse(store.meta.get(LEGACY_IMPORT_KEY)!)).to.deep.equal({
      at: new Date(NOW).toISOString(), queued: 4, uploaded: 3, tombstones: 1, skipped: 2,
    });
    expect([queueFile, registryFile].map((f) => [fs.readFileSync(f, 'utf8'), fs.statSync(f).mtimeMs])).to.deep.equal(before);
    expect(lines.some((l) => l.level === 'info' && String(l.msg).includes('4 queued and 3 uploaded'))).to.equal(true);
    expect(lines.filter((l) => l.level === 'warn')).to.have.length(2);
  });

  it('snaps a float-seconds mtime to the exact fs.stat value so an unchanged file is not uploaded again', () => {
    fixture('processed_files.json');
    importLegacy(store, options());
    const p = path.join(root, 'logs/ros/run-0/launch.log');
    const st = fs.statSync(p);
    expect(row('logs/ros/run-0/launch.log')!.mtimeMs).to.equal(st.mtimeMs);
    expect(store.files.enqueue({ path: p, source: 'ros', relPath: 'run-0/launch.log', size: st.size, mtimeMs: st.mtimeMs }, NOW)).to.equal(
      'already-uploaded',
    );
  });

  it('runs once: a second start does nothing', () => {
    fixture('queue.json');
    fixture('processed_files.json');
    importLegacy(store, options());
    const counts = store.files.countByStatus();
    store.files.remove(row('logs/syslog/syslog.1')!.id);
    const second = importLegacy(store, options());
    expect(second).to.deep.equal({ imported: { queued: 0, uploaded: 0, tombstones: 0 }, skipped: [], alreadyDone: true });
    expect(store.files.countByStatus()).to.deep.equal({ ...counts, queued: counts.queued - 1 });
  });

  it('records completion even when there is nothing to import', () => {
    const result = importLegacy(store, options());
    expect(result).to.deep.equal({ imported: { queued: 0, uploaded: 0, tombstones: 0 }, skipped: [], alreadyDone: false });
    expect(store.meta.get(LEGACY_IMPORT_KEY)).to.not.equal(null);
  });

  it('falls back to queue.json.bak when the primary is corrupt, naming the JSON error', () => {
    const queueFile = fixture('queue-truncated.json', 'queue.json');
    fixture('queue.json.bak');
    const result = importLegacy(store, options());
    expect(result.imported.queued).to.equal(1);
    expect(result.skipped).to.have.length(1);
    expect(result.skipped[0]!.file).to.equal(queueFile);
    expect(result.skipped[0]!.reason).to.match(/^not valid JSON \(.+\)$/);
    expect(row('logs/ros/run-1/launch.log')!.status).to.equal('queued');
  });

  it('uses queue.json.bak when the primary is missing, like the reference', () => {
    fixture('queue.json.bak');
    const result = importLegacy(store, options());
    expect(result.imported.queued).to.equal(1);
    expect(result.skipped).to.deep.equal([]);
  });

  it('falls back to the backup when the primary has the wrong shape', () => {
    const queueFile = path.join(varLib, 'queue.json');
    fs.writeFileSync(queueFile, JSON.stringify({ files: [] }));
    fixture('queue.json.bak');
    const result = importLegacy(store, options());
    expect(result.skipped).to.deep.equal([{ file: queueFile, reason: 'expected a JSON array of queue entries, got an object' }]);
    expect(result.imported.queued).to.equal(1);
  });

  it('reports both a corrupt primary and a corrupt backup, imports nothing from them and does not throw', () => {
    const queueFile = fixture('queue-truncated.json', 'queue.json');
    const bak = path.join(varLib, 'queue.json.bak');
    fs.writeFileSync(bak, '"just a string"');
    fixture('processed_files-bare.json', 'processed_files.json');
    const result = importLegacy(store, options());
    expect(result.skipped.map((s) => s.file)).to.deep.equal([queueFile, bak]);
    expect(result.skipped[1]!.reason).to.equal('expected a JSON array of queue entries, got string "just a string"');
    expect(result.imported).to.deep.equal({ queued: 0, uploaded: 2, tombstones: 0 });
    expect(store.meta.get(LEGACY_IMPORT_KEY)).to.not.equal(null);
  });

  it('skips queue entries with wrong types, duplicates and directories, each with a reason', () => {
    const queueFile = fixture('queue-bad-entries.json', 'queue.json');
    const result = importLegacy(store, options());
    expect(result.imported.queued).to.equal(1);
    expect(result.skipped).to.deep.equal([
      { file: `${queueFile}[0]`, reason: 'filepath must be a non-empty string, got number 42' },
      { file: `${queueFile}[1]`, reason: 'filepath "relative/path.log" is not absolute' },
      { file: `${queueFile}[2]`, reason: 'size must be a non-negative integer, got string "2048"' },
      { file: `${queueFile}[3]`, reason: 'expected an object, got string "not an object"' },
      { file: path.join(root, 'logs/ros/run-1/launch.log'), reason: 'listed more than once in the queue' },
      { file: path.join(root, 'logs/ros/run-1'), reason: 'not a regular file' },
    ]);
    // An unparsable detected_at falls back to the import time.
    expect(row('logs/ros/run-1/launch.log')!.queuedAt).to.equal(NOW);
  });

  it('reads a registry in the bare-map legacy form', () => {
    fixture('processed_files-bare.json', 'processed_files.json');
    const result = importLegacy(store, options());
    expect(result.imported).to.deep.equal({ queued: 0, uploaded: 2, tombstones: 0 });
    expect(row('logs/syslog/syslog.3')!.status).to.equal('uploaded');
  });

  it('skips registry entries of the wrong shape and derives a missing filepath from the key', () => {
    const registryFile = fixture('processed_files-bad-entries.json', 'processed_files.json');
    const result = importLegacy(store, options());
    expect(result.imported.uploaded).to.equal(1);
    expect(store.files.getByPath(path.join(root, 'logs/a::with::colons.log'))).to.deep.include({ source: 'other', relPath: 'a::with::colons.log' });
    const at = (key: string) => `${registryFile}: entry ${JSON.stringify(key.replace('@ROOT@', root))}`;
    expect(result.skipped).to.deep.equal([
      { file: at('@ROOT@/logs/ros/size-string.log::10::1795600000.0'), reason: 'size must be a non-negative integer, got string "10"' },
      { file: at('@ROOT@/logs/ros/no-mtime.log::10::1795600000.0'), reason: 'mtime must be a non-negative number, got nothing' },
      { file: at('garbage-key'), reason: 'filepath must be a non-empty string, got null' },
      { file: at('@ROOT@/logs/ros/not-an-object.log::1::1.0'), reason: 'expected an object, got an array' },
    ]);
  });

  it('reports a registry that is not JSON, or not an object, and still imports the queue', () => {
    const registryFile = path.join(varLib, 'processed_files.json');
    fixture('queue.json');
    fs.writeFileSync(registryFile, '{"_metadata": {');
    let result = importLegacy(store, options());
    expect(result.skipped[0]!.file).to.equal(registryFile);
    expect(result.skipped[0]!.reason).to.match(/^not valid JSON/);
    expect(result.imported.queued).to.equal(5); // already.log is no longer held back by the registry

    for (const [content, reason] of [
      ['[1, 2]', 'expected a JSON object, got an array'],
      ['{"_metadata": {}, "files": 3}', '"files" must be an object, got number 3'],
    ] as const) {
      store.meta.delete(LEGACY_IMPORT_KEY);
      fs.writeFileSync(registryFile, content);
      result = importLegacy(store, options({ queueFile: path.join(varLib, 'none.json') }));
      expect(result.skipped).to.deep.equal([{ file: registryFile, reason }]);
    }
  });

  it('skips files it cannot read or stat, with the system error code', () => {
    fixture('queue.json');
    fixture('processed_files.json');
    const denied = (p: string) => Object.assign(new Error(`EACCES: permission denied, open '${p}'`), { code: 'EACCES' });
    const lfs: LegacyFs = {
      readFile: (f) => {
        if (f.endsWith('processed_files.json')) throw denied(f);
        return fs.readFileSync(f, 'utf8');
      },
      stat: (f) => {
        if (f.endsWith('syslog.1')) throw denied(f);
        return fs.statSync(f);
      },
      realpath: (f) => fs.realpathSync(f),
    };
    const result = importLegacy(store, options({ fs: lfs }));
    expect(result.skipped).to.deep.include({ file: path.join(varLib, 'processed_files.json'), reason: 'cannot read (EACCES)' });
    expect(result.skipped).to.deep.include({ file: path.join(root, 'logs/syslog/syslog.1'), reason: 'cannot stat (EACCES)' });
    expect(result.imported).to.deep.equal({ queued: 4, uploaded: 0, tombstones: 0 });
  });

  it('logs at most 20 skip lines; registry entries past retention are tombstones, not skips', () => {
    const queueFile = path.join(varLib, 'queue.json');
    const vanished = Array.from({ length: 25 }, (_, i) => ({ filepath: path.join(root, `gone-${i}.log`), size: 1, attempts: 0 }));
    fs.writeFileSync(queueFile, JSON.stringify(vanished, null, 2));
    const registryFile = path.join(varLib, 'processed_files.json');
    const old = { processed_at: 1000, size: 1, mtime: 1 };
    fs.writeFileSync(
      registryFile,
      JSON.stringify({ files: { '/a::1::1': { ...old, filepath: '/a' }, '/b::1::1': { ...old, filepath: '/b' } } }),
    );
    const { logger, lines } = capturingLogger();
    const result = importLegacy(store, options({ logger }));
    expect(result.skipped).to.have.length(25);
    const warns = lines.filter((l) => l.level === 'warn').map((l) => String(l.msg));
    expect(warns).to.have.length(21);
    expect(warns[20]).to.equal('legacy import: 5 more skipped');
    expect(result.imported).to.deep.equal({ queued: 0, uploaded: 0, tombstones: 2 });
  });

  it('tags every skip line with TVM_ERR_LEGACY_IMPORT, so operators can search one code', () => {
    const vanished = Array.from({ length: 22 }, (_, i) => ({ filepath: path.join(root, `gone-${i}.log`), size: 1, attempts: 0 }));
    fs.writeFileSync(path.join(varLib, 'queue.json'), JSON.stringify(vanished));
    const { logger, lines } = capturingLogger();
    importLegacy(store, options({ logger }));
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns).to.have.length(21);
    for (const w of warns) expect(w.code, String(w.msg)).to.equal(ErrorCodes.LEGACY_IMPORT);
  });

  it('queues an entry without detected_at at the import time, and names errors that carry no code', () => {
    const queueFile = path.join(varLib, 'queue.json');
    fs.writeFileSync(
      queueFile,
      JSON.stringify([
        { filepath: path.join(root, 'logs/syslog/syslog.1'), size: 512 },
        { filepath: path.join(root, 'logs/ros/run-1/launch.log'), size: 2048, detected_at: 'x'.repeat(100) },
      ]),
    );
    const lfs: LegacyFs = {
      readFile: (f) => {
        if (f.endsWith('processed_files.json')) throw new Error('disk on fire');
        return fs.readFileSync(f, 'utf8');
      },
      stat: (f) => {
        if (f.endsWith('launch.log')) throw new Error('stat broke');
        return fs.statSync(f);
      },
      realpath: (f) => fs.realpathSync(f),
    };
    const result = importLegacy(store, options({ fs: lfs }));
    expect(result.skipped).to.deep.equal([
      { file: path.join(varLib, 'processed_files.json'), reason: 'cannot read (disk on fire)' },
      { file: path.join(root, 'logs/ros/run-1/launch.log'), reason: 'cannot stat (Error: stat broke)' },
    ]);
    expect(row('logs/syslog/syslog.1')!.queuedAt).to.equal(NOW);
  });

  it('shortens long values in skip reasons', () => {
    fs.writeFileSync(path.join(varLib, 'queue.json'), JSON.stringify([{ filepath: path.join(root, 'a'), size: 'y'.repeat(100) }]));
    const result = importLegacy(store, options());
    expect(result.skipped[0]!.reason).to.equal(`size must be a non-negative integer, got string "${'y'.repeat(59)}…`);
  });

  it('maps resolved registry paths under a symlinked log directory back to the configured path', () => {
    fixture('processed_files-bare.json', 'processed_files.json');
    const link = path.join(root, 'ros-link');
    fs.symlinkSync(path.join(root, 'logs/ros'), link);
    const dirs = [dirEntry(link, 'ros'), dirEntry(path.join(root, 'missing-dir'), 'gone')];
    importLegacy(store, options({ logDirectories: dirs }));
    expect(store.files.getByPath(path.join(link, 'run-0/launch.log'))).to.deep.include({ source: 'ros', relPath: 'run-0/launch.log' });
    expect(row('logs/syslog/syslog.3')).to.deep.include({ source: 'other', relPath: 'syslog.3' });
  });
});
