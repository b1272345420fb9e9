import { join } from 'node:path';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { openStateForCommand } from '../../../src/state/command-db.js';
import { SCHEMA_VERSION, currentVersion } from '../../../src/state/migrations.js';
import { DB_FILE } from '../../../src/state/store.js';
import { ErrorCodes } from '../../../src/errors.js';
import { caught } from '../../support/caught.js';
import { migratedDb, removeDir, tempDir } from './helpers.js';

describe('openStateForCommand', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('tvm-command-db-');
  });
  afterEach(() => removeDir(dir));

  it('refuses a state_dir the daemon has never used, naming the database path', () => {
    const err = caught(() => openStateForCommand(dir));
    expect(err.code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
    expect(err.message).to.contain(join(dir, DB_FILE)).and.contain('has not run');
  });

  it('refuses a database this release has not upgraded yet and leaves it closed', () => {
    migratedDb(dir, 1).close();
    const err = caught(() => openStateForCommand(dir));
    expect(err.code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
    expect(err.message).to.contain('schema version 1').and.contain(`needs ${SCHEMA_VERSION}`);
    // Closed: an exclusive writer can take the file at once.
    const again = new Database(join(dir, DB_FILE), { timeout: 0 });
    again.exec('BEGIN EXCLUSIVE; COMMIT');
    again.close();
  });

  it('opens a current database for writing, waiting out a busy daemon', () => {
    migratedDb(dir).close();
    const { db, dbPath } = openStateForCommand(dir);
    try {
      expect(dbPath).to.equal(join(dir, DB_FILE));
      expect(currentVersion(db)).to.equal(SCHEMA_VERSION);
      expect(db.readonly).to.equal(false);
      expect(db.pragma('busy_timeout', { simple: true })).to.equal(10000);
    } finally {
      db.close();
    }
  });
});
