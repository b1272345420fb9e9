import { spawn } from 'node:child_process';
import { childEnv } from '../../support/child-env.js';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src/state/migrations.js';
import { DB_FILE, RECOVERY_PENDING_KEY, STATE_REBUILT_AT_KEY, type StateStore } from '../../../src/state/store.js';
import { LOCK_FILE } from '../../../src/state/lock.js';
import { SQLITE_CACHE_KIB, summariseCheck } from '../../../src/state/open-db.js';
import { capturingLogger, input, open, removeDir, tempDir } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function catchError(fn: () => unknown): TvmError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(TvmError);
    return err as TvmError;
  }
  throw new Error('expected an error');
}

describe('state store', () => {
  let dir: string;
  let store: StateStore | undefined;

  beforeEach(() => {
    dir = tempDir();
    store = undefined;
  });
  afterEach(() => {
    store?.close();
    removeDir(dir);
  });

  describe('opening', () => {
    it('treats a database file truncated to zero bytes as corrupt: moved aside, logged, rebuilt, recovery pending', () => {
      fs.writeFileSync(path.join(dir, DB_FILE), '');
      const { logger, lines } = capturingLogger();
      store = open(dir, { logger });
      expect(store.recovered).to.deep.include({ reason: 'the file was empty (0 bytes)' });
      expect(fs.existsSync(store.recovered!.movedTo)).to.equal(true);
      expect(store.meta.get(RECOVERY_PENDING_KEY)).to.not.equal(null);
      // Kept for good: uploads of files from before the rebuild check S3 first.
      expect(Number(store.meta.get(STATE_REBUILT_AT_KEY))).to.be.closeTo(Date.now(), 60_000);
      expect(lines.some((l) => l.level === 'error' && String(l.msg).includes('was corrupt (the file was empty (0 bytes))'))).to.equal(true);
      store.files.enqueue(input(), Date.now());
      store.close();
      store = open(dir);
      expect(store.recovered).to.equal(null);
    });

    it('creates a missing state dir and the database with WAL, NORMAL sync, foreign keys and a busy timeout', () => {
      const stateDir = path.join(dir, 'a', 'b');
      store = open(stateDir);
      expect(fs.statSync(stateDir).isDirectory()).to.equal(true);
      expect(fs.existsSync(path.join(stateDir, DB_FILE))).to.equal(true);
      expect(store.db.pragma('journal_mode', { simple: true })).to.equal('wal');
      expect(store.db.pragma('synchronous', { simple: true })).to.equal(1);
      expect(store.db.pragma('foreign_keys', { simple: true })).to.equal(1);
      expect(store.db.pragma('busy_timeout', { simple: true })).to.equal(5000);
      expect(store.db.pragma('cache_size', { simple: true }), 'the page cache is bounded in KiB').to.equal(-SQLITE_CACHE_KIB);
      expect(store.db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
      expect(store.recovered).to.equal(null);
    });

    it('re-opens an existing database without migrating again and keeps its rows', () => {
      store = open(dir);
      store.files.enqueue(input({ path: '/logs/a.log' }), 1);
      store.meta.set('k', 'v');
      store.close();
      store = open(dir);
      expect(store.db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
      expect(store.files.getByPath('/logs/a.log')).to.not.equal(null);
      expect(store.meta.get('k')).to.equal('v');
      expect(store.meta.get('missing')).to.equal(null);
      store.meta.delete('k');
      expect(store.meta.get('k')).to.equal(null);
    });

    it('refuses a database written by a newer schema version and releases its lock', () => {
      store = open(dir);
      store.close();
      const raw = new Database(path.join(dir, DB_FILE));
      raw.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
      raw.close();
      const err = catchError(() => open(dir));
      expect(err.code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
      expect(err.message).to.contain(`schema version ${SCHEMA_VERSION + 5}`).and.contain(path.join(dir, DB_FILE));
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).to.equal(false);
      const again = new Database(path.join(dir, DB_FILE));
      expect(again.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION + 5); // not downgraded
      again.close();
    });

    it('rolls back a failing migration step and leaves the previous version intact', () => {
      store = open(dir);
      store.close();
      const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, description: 'broken', sql: 'CREATE TABLE x (a); CREATE TABLE (' }];
      const err = catchError(() => open(dir, { migrations: broken }));
      expect(err.code).to.equal(ErrorCodes.INTERNAL);
      store = open(dir);
      expect(store.db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
      expect(store.db.prepare(`SELECT name FROM sqlite_master WHERE name = 'x'`).get()).to.equal(undefined);
    });

    it('closes the database and releases the lock when the schema does not fit the code', () => {
      const err = catchError(() => open(dir, { migrations: [{ version: 1, description: 'wrong', sql: 'CREATE TABLE t (x)' }] }));
      expect(err.code).to.equal(ErrorCodes.INTERNAL);
      expect(err.message).to.contain('no such table');
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).to.equal(false);
    });

    it('rejects a migration list whose versions are not 1..n', () => {
      const err = catchError(() => open(dir, { migrations: [{ version: 2, description: 'x', sql: '' }] }));
      expect(err.code).to.equal(ErrorCodes.INTERNAL);
    });

    it('reports an unusable state dir as STATE_UNAVAILABLE naming the path', () => {
      const file = path.join(dir, 'not-a-dir');
      fs.writeFileSync(file, 'x');
      const err = catchError(() => open(path.join(file, 'state')));
      expect(err.code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
      expect(err.message).to.contain(path.join(file, 'state'));
      expect(err.hint).to.contain('writable');
    });

    it('reports a database path that cannot be opened as STATE_UNAVAILABLE', () => {
      fs.mkdirSync(path.join(dir, DB_FILE));
      const err = catchError(() => open(dir));
      expect(err.code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
      expect(err.message).to.contain(path.join(dir, DB_FILE));
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).to.equal(false);
    });

    it('reports a full disk on write as DISK_FULL instead of a raw SQLite error', () => {
      store = open(dir);
      const pages = store.db.pragma('page_count', { simple: true }) as number;
      store.db.pragma(`max_page_count = ${pages}`);
      const err = catchError(() => {
        for (let i = 0; i < 10_000; i++) store!.files.enqueue(input({ path: `/logs/${'x'.repeat(200)}/${i}` }), i);
      });
      expect(err.code).to.equal(ErrorCodes.DISK_FULL);
      expect(err.message).to.contain(path.join(dir, DB_FILE));
    });

    it('closes idempotently and refuses use after close with an INTERNAL error', () => {
      store = open(dir);
      store.close();
      store.close();
      expect(catchError(() => store!.files.countByStatus()).code).to.equal(ErrorCodes.INTERNAL);
      expect(fs.existsSync(path.join(dir, LOCK_FILE))).to.equal(false);
    });
  });

  describe('corruption', () => {
    function expectRebuilt(s: StateStore, lines: Array<Record<string, unknown>>): void {
      expect(s.recovered).to.not.equal(null);
      expect(path.basename(s.recovered!.movedTo)).to.match(/^tvm-upload\.db\.corrupt-\d{8}T\d{6}/);
      expect(fs.existsSync(s.recovered!.movedTo)).to.equal(true);
      expect(s.db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
      expect(s.files.countByStatus()).to.deep.equal({ queued: 0, inFlight: 0, uploaded: 0 });
      s.files.enqueue(input(), 1);
      expect(s.files.countByStatus().queued).to.equal(1);
      const err = lines.find((l) => l.level === 'error');
      expect(err?.msg).to.contain('moved it aside').and.contain('startup scan').and.contain('not re-sent');
      expect(JSON.parse(s.meta.get(RECOVERY_PENDING_KEY)!)).to.include({ movedTo: s.recovered!.movedTo });
    }

    it('moves a file of garbage bytes aside with its -wal and -shm and starts a fresh database', () => {
      const db = path.join(dir, DB_FILE);
      fs.writeFileSync(db, Buffer.from('this is not an sqlite database '.repeat(300)));
      fs.writeFileSync(`${db}-wal`, 'old wal');
      fs.writeFileSync(`${db}-shm`, 'old shm');
      const { logger, lines } = capturingLogger();
      store = open(dir, { logger, now: () => Date.UTC(2026, 10, 30, 2, 3, 4) });
      expectRebuilt(store, lines);
      expect(store.recovered!.movedTo).to.equal(`${db}.corrupt-20261130T020304`);
      expect(store.recovered!.reason).to.contain('not a database');
      expect(fs.readFileSync(`${store.recovered!.movedTo}-wal`, 'utf8')).to.equal('old wal');
      expect(fs.existsSync(`${store.recovered!.movedTo}-shm`)).to.equal(true); // SQLite rewrites the shm index
    });

    it('recovers a truncated real database', () => {
      store = open(dir);
      for (let i = 0; i < 3000; i++) store.files.enqueue(input({ path: `/logs/${i}-${'y'.repeat(100)}` }), i);
      store.close();
      const db = path.join(dir, DB_FILE);
      fs.truncateSync(db, Math.floor(fs.statSync(db).size / 2));
      const { logger, lines } = capturingLogger();
      store = open(dir, { logger });
      expectRebuilt(store, lines);
    });

    it('recovers a database whose pages quick_check finds damaged', () => {
      store = open(dir);
      for (let i = 0; i < 3000; i++) store.files.enqueue(input({ path: `/logs/${i}-${'z'.repeat(100)}` }), i);
      store.close();
      const fd = fs.openSync(path.join(dir, DB_FILE), 'r+');
      fs.writeSync(fd, Buffer.alloc(8192, 0x41), 0, 8192, 4096 * 3);
      fs.closeSync(fd);
      const { logger, lines } = capturingLogger();
      store = open(dir, { logger });
      expectRebuilt(store, lines);
    });

    it('never overwrites an earlier corrupt copy from the same second', () => {
      const db = path.join(dir, DB_FILE);
      const now = () => Date.UTC(2026, 0, 2, 3, 4, 5);
      fs.writeFileSync(db, 'garbage'.repeat(200));
      open(dir, { now }).close();
      fs.writeFileSync(db, 'more garbage'.repeat(200));
      store = open(dir, { now });
      expect(store.recovered!.movedTo).to.equal(`${db}.corrupt-20260102T030405-1`);
      expect(fs.readFileSync(`${db}.corrupt-20260102T030405`, 'utf8')).to.match(/^garbage/);
    });
  });

  it('summarises a quick_check report as its first finding, capped for the log', () => {
    expect(summariseCheck('*** in database main ***\nTree 3 page 3: btreeInitPage() returns error code 11\nPage 4: never used')).to.equal(
      'Tree 3 page 3: btreeInitPage() returns error code 11',
    );
    expect(summariseCheck('x'.repeat(500))).to.equal(`${'x'.repeat(200)}…`);
  });

  describe('single instance', () => {
    it('refuses a second open of the same state dir in this process, and allows it after close', () => {
      store = open(dir);
      const err = catchError(() => open(dir));
      expect(err.code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
      expect(err.message).to.equal(`another tvm-upload (pid ${process.pid}) is using state dir ${dir}`);
      store.close();
      store = open(dir);
    });

    it('refuses a state dir held by another live process, and takes it over once that process is killed', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'fixtures', 'hold-lock.ts'), dir], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: childEnv(),
      });
      try {
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
          child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
        });
        const err = catchError(() => open(dir));
        expect(err.code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
        expect(err.message).to.equal(`another tvm-upload (pid ${child.pid}) is using state dir ${dir}`);
      } finally {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      store = open(dir); // the dead child's lock is stale
      expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).to.include({ pid: process.pid });
    });
  });
});
