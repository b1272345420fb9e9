import Database from 'better-sqlite3';
import { expect } from 'chai';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { isCorruptionError, sqliteCode, toStateError } from '../../../src/state/sqlite-errors.js';

const DB = '/var/lib/tvm-upload/tvm-upload.db';
const sqlite = (code: string, msg = 'boom') => new Database.SqliteError(msg, code);
const sys = (code: string) => Object.assign(new Error(`${code}: failed`), { code });

function mapped(err: unknown): TvmError {
  const out = toStateError(err, DB);
  expect(out).to.be.instanceOf(TvmError);
  expect((out as TvmError).message).to.contain(DB);
  expect((out as TvmError).cause).to.equal(err);
  return out as TvmError;
}

describe('state error mapping', () => {
  it('maps a full disk (SQLITE_FULL, ENOSPC, EDQUOT) to DISK_FULL', () => {
    expect(mapped(sqlite('SQLITE_FULL')).code).to.equal(ErrorCodes.DISK_FULL);
    expect(mapped(sys('ENOSPC')).code).to.equal(ErrorCodes.DISK_FULL);
    expect(mapped(sys('EDQUOT')).code).to.equal(ErrorCodes.DISK_FULL);
  });

  it('maps corruption found at run time to STATE_CORRUPT with a restart hint', () => {
    const e = mapped(sqlite('SQLITE_CORRUPT_INDEX'));
    expect(e.code).to.equal(ErrorCodes.STATE_CORRUPT);
    expect(e.hint).to.contain('restart');
    expect(mapped(sqlite('SQLITE_NOTADB')).code).to.equal(ErrorCodes.STATE_CORRUPT);
  });

  it('maps unopenable, read-only, I/O and permission failures to STATE_UNAVAILABLE', () => {
    for (const c of ['SQLITE_CANTOPEN', 'SQLITE_READONLY_DBMOVED', 'SQLITE_IOERR_WRITE', 'SQLITE_PERM', 'SQLITE_AUTH']) {
      expect(mapped(sqlite(c)).code, c).to.equal(ErrorCodes.STATE_UNAVAILABLE);
    }
    for (const c of ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EIO']) {
      expect(mapped(sys(c)).code, c).to.equal(ErrorCodes.STATE_UNAVAILABLE);
    }
  });

  it('maps a lock held by another connection to STATE_UNAVAILABLE', () => {
    const e = mapped(sqlite('SQLITE_BUSY'));
    expect(e.code).to.equal(ErrorCodes.STATE_UNAVAILABLE);
    expect(e.message).to.contain('locked');
  });

  it('maps SQLite errors that can only be bugs to INTERNAL', () => {
    expect(mapped(sqlite('SQLITE_CONSTRAINT_FOREIGNKEY')).code).to.equal(ErrorCodes.INTERNAL);
  });

  it('passes TvmErrors and unrelated errors through unchanged', () => {
    const t = new TvmError(ErrorCodes.USAGE, 'x');
    expect(toStateError(t, DB)).to.equal(t);
    const plain = new RangeError('r');
    expect(toStateError(plain, DB)).to.equal(plain);
    const other = sys('ECONNRESET');
    expect(toStateError(other, DB)).to.equal(other);
  });

  it('extracts the primary SQLite code and recognises corruption', () => {
    expect(sqliteCode(sqlite('SQLITE_IOERR_SHORT_READ'))).to.equal('SQLITE_IOERR');
    expect(sqliteCode(new Error('x'))).to.equal(undefined);
    expect(sqliteCode(sqlite('ODD'))).to.equal('ODD');
    expect(isCorruptionError(sqlite('SQLITE_CORRUPT'))).to.equal(true);
    expect(isCorruptionError(sqlite('SQLITE_FULL'))).to.equal(false);
    expect(isCorruptionError(new Error('corrupt'))).to.equal(false);
  });
});
