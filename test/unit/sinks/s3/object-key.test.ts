import { expect } from 'chai';
import { caught } from '../../../support/caught.js';
import { ErrorCodes, TvmError } from '../../../../src/errors.js';
import { buildObjectKey, localDate, MAX_KEY_BYTES, validateObjectKey, versionedKey, isVersionOf } from '../../../../src/sinks/s3/object-key.js';

const base = { vehicleId: 'vehicle-001', source: 'ros', relPath: 'run-1/launch.log', codec: 'gzip' as const };

function keyError(fn: () => unknown): TvmError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(TvmError);
    return err as TvmError;
  }
  throw new Error('expected KEY_INVALID');
}

describe('sinks/s3/object-key', () => {
  describe('layout', () => {
    it('builds <vehicle>/<local date>/<source>/<relPath>.gz like the reference', () => {
      const key = buildObjectKey({ ...base, mtimeMs: Date.UTC(2024, 5, 1, 12), timeZone: 'UTC' });
      expect(key).to.equal('vehicle-001/2024-06-01/ros/run-1/launch.log.gz');
    });

    const suffixes: Array<['gzip' | 'zstd' | 'none', string]> = [
      ['gzip', 'a.log.gz'],
      ['zstd', 'a.log.zst'],
      ['none', 'a.log'],
    ];
    for (const [codec, tail] of suffixes) {
      it(`appends the suffix for codec ${codec}`, () => {
        const key = buildObjectKey({ ...base, relPath: 'a.log', codec, mtimeMs: Date.UTC(2024, 0, 2), timeZone: 'UTC' });
        expect(key).to.equal(`vehicle-001/2024-01-02/ros/${tail}`);
      });
    }

    it('keeps deep subfolders of relPath', () => {
      const key = buildObjectKey({ ...base, relPath: 'a/b/c/d.bag', codec: 'none', mtimeMs: Date.UTC(2024, 0, 2), timeZone: 'UTC' });
      expect(key).to.equal('vehicle-001/2024-01-02/ros/a/b/c/d.bag');
    });

    it('uses the process time zone by default', () => {
      const ms = Date.UTC(2024, 6, 15, 23, 30);
      const d = new Date(ms);
      const expected = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
      expect(localDate(ms)).to.equal(expected);
    });
  });

  describe('date folder across midnight and DST (explicit time zones)', () => {
    const cases: Array<[string, string, string]> = [
      ['2024-06-30T15:59:59Z', 'Asia/Shanghai', '2024-06-30'],
      ['2024-06-30T16:00:00Z', 'Asia/Shanghai', '2024-07-01'],
      ['2024-06-30T16:30:00Z', 'Asia/Shanghai', '2024-07-01'],
      ['2024-06-30T16:30:00Z', 'UTC', '2024-06-30'],
      ['2024-06-30T16:30:00Z', 'Asia/Tokyo', '2024-07-01'],
      ['2024-12-31T23:59:59.999Z', 'UTC', '2024-12-31'],
      ['2025-01-01T00:00:00.000Z', 'UTC', '2025-01-01'],
      ['2024-12-31T23:30:00Z', 'Europe/Berlin', '2025-01-01'],
      ['2024-05-01T18:29:59Z', 'Asia/Kolkata', '2024-05-01'],
      ['2024-05-01T18:30:00Z', 'Asia/Kolkata', '2024-05-02'],
      ['2024-01-01T10:00:00Z', 'Pacific/Kiritimati', '2024-01-02'],
      ['2024-01-01T10:00:00Z', 'Pacific/Pago_Pago', '2023-12-31'],
      // US spring-forward day: 02:00 local does not exist on 2024-03-10.
      ['2024-03-10T07:59:59Z', 'America/Los_Angeles', '2024-03-09'],
      ['2024-03-10T08:00:00Z', 'America/Los_Angeles', '2024-03-10'],
      ['2024-03-10T10:30:00Z', 'America/Los_Angeles', '2024-03-10'],
      ['2024-03-11T06:59:59Z', 'America/Los_Angeles', '2024-03-10'],
      ['2024-03-11T07:00:00Z', 'America/Los_Angeles', '2024-03-11'],
      // EU fall-back day: 02:00-03:00 local happens twice on 2024-10-27.
      ['2024-10-26T21:59:59Z', 'Europe/Berlin', '2024-10-26'],
      ['2024-10-26T22:00:00Z', 'Europe/Berlin', '2024-10-27'],
      ['2024-10-27T00:30:00Z', 'Europe/Berlin', '2024-10-27'],
      ['2024-10-27T01:30:00Z', 'Europe/Berlin', '2024-10-27'],
      ['2024-10-27T22:59:59Z', 'Europe/Berlin', '2024-10-27'],
      ['2024-10-27T23:00:00Z', 'Europe/Berlin', '2024-10-28'],
    ];
    for (const [iso, tz, date] of cases) {
      it(`${iso} in ${tz} goes under ${date}`, () => {
        const key = buildObjectKey({ ...base, mtimeMs: Date.parse(iso), timeZone: tz });
        expect(key).to.equal(`vehicle-001/${date}/ros/run-1/launch.log.gz`);
      });
    }

    it('rejects an unknown time zone and a non-finite mtime', () => {
      expect(() => localDate(0, 'Mars/Olympus_Mons')).to.throw(TvmError, /time zone/);
      expect(() => localDate(Number.NaN, 'UTC')).to.throw(TvmError, /mtime/);
    });
  });

  describe('names that are valid and must round-trip unchanged', () => {
    const names = [
      'ünïcödé/日志.log',
      'emoji-🚗🛰️.log',
      'with space/and more spaces .log',
      'percent%20literal%.log',
      'hash#tag.log',
      'plus+sign.log',
      '-leading-dash.log',
      '.hidden-in-key-is-fine/x.log',
      "quote'and\"double.log",
      'back\\slash.log',
      '...three-dots/..x/x..',
      'a?b&c=d;e,f@g$h!i*(j)[k]{l}~m^n`o|p<q>r.log',
    ];
    for (const relPath of names) {
      it(`keeps ${JSON.stringify(relPath)}`, () => {
        const key = buildObjectKey({ ...base, relPath, codec: 'none', mtimeMs: Date.UTC(2024, 0, 2), timeZone: 'UTC' });
        expect(key).to.equal(`vehicle-001/2024-01-02/ros/${relPath}`);
      });
    }

    it('accepts a key of exactly 1024 UTF-8 bytes', () => {
      const prefix = 'vehicle-001/2024-01-02/ros/';
      const relPath = 'x'.repeat(MAX_KEY_BYTES - prefix.length);
      const key = buildObjectKey({ ...base, relPath, codec: 'none', mtimeMs: Date.UTC(2024, 0, 2), timeZone: 'UTC' });
      expect(Buffer.byteLength(key)).to.equal(MAX_KEY_BYTES);
    });
  });

  describe('names that are rejected with KEY_INVALID naming the file', () => {
    const bad: Array<[string, string, RegExp]> = [
      ['a parent segment', 'run/../etc/passwd', /"\.\." path segment/],
      ['a dot segment', 'run/./x.log', /"\." path segment/],
      ['an empty segment', 'run//x.log', /empty path segment/],
      ['a leading slash', '/abs/x.log', /empty path segment/],
      ['a trailing slash', 'dir/', /empty path segment/],
      ['a newline', 'evil\nname.log', /U\+000A \(newline\)/],
      ['a tab', 'tab\there.log', /U\+0009/],
      ['a NUL', 'nul\u0000.log', /U\+0000/],
      ['DEL', 'del\u007f.log', /U\+007F/],
      ['an unpaired surrogate', 'bad\ud800.log', /not valid Unicode/],
      ['more than 1024 bytes of UTF-8', '€'.repeat(400), /1227 bytes of UTF-8; S3 allows at most 1024/],
    ];
    for (const [what, relPath, why] of bad) {
      it(`rejects ${what}`, () => {
        const e = keyError(() => buildObjectKey({ ...base, relPath, codec: 'none', mtimeMs: Date.UTC(2024, 0, 2), timeZone: 'UTC' }));
        expect(e.code).to.equal(ErrorCodes.KEY_INVALID);
        expect(e.retriability).to.equal('permanent');
        expect(e.message).to.match(why);
        expect(e.message).to.include(JSON.stringify(relPath));
        expect(e.details.file).to.equal(relPath);
        expect(e.hint).to.include('rename');
      });
    }

    it('validates a complete key on its own', () => {
      expect(() => validateObjectKey('a/b/c', 'c')).not.to.throw();
      expect(keyError(() => validateObjectKey('', 'x')).code).to.equal(ErrorCodes.KEY_INVALID);
    });
  });
});

describe('sinks/s3/object-key versions', () => {
  it('keeps the key itself as version 1', () => {
    expect(versionedKey('v/2024-01-02/ros/app.log.gz', 1)).to.equal('v/2024-01-02/ros/app.log.gz');
  });

  it('inserts ~NNNN before the last extension, so codec suffix and content type survive', () => {
    expect(versionedKey('v/2024-01-02/ros/app.log.gz', 2)).to.equal('v/2024-01-02/ros/app.log~0002.gz');
    expect(versionedKey('v/2024-01-02/syslog/syslog.1', 3)).to.equal('v/2024-01-02/syslog/syslog~0003.1');
    expect(versionedKey('v/2024-01-02/ros/a.b/data', 2)).to.equal('v/2024-01-02/ros/a.b/data~0002');
    expect(versionedKey('v/2024-01-02/ros/.hidden', 2)).to.equal('v/2024-01-02/ros/.hidden~0002');
  });

  it('sorts the first version first, then the others in order, in a plain listing', () => {
    const keys = [12, 3, 1, 2, 100, 9999].map((n) => versionedKey('v/d/s/app.log.gz', n));
    expect([...keys].sort()).to.deep.equal([1, 2, 3, 12, 100, 9999].map((n) => versionedKey('v/d/s/app.log.gz', n)));
  });

  it('recognises the key itself and its versions, nothing else', () => {
    const base = 'v/d/s/app.log.gz';
    for (const n of [1, 2, 10, 12345]) expect(isVersionOf(versionedKey(base, n), base), String(n)).to.equal(true);
    for (const other of ['v/d/s/app.log~02.gz', 'v/d/s/app.log~abcd.gz', 'v/d/s/app.log.gz~0002', 'v/d/s/app.log~0002.zst', 'v/d/t/app.log~0002.gz']) {
      expect(isVersionOf(other, base), other).to.equal(false);
    }
    expect(isVersionOf('v/d/s/data~0003', 'v/d/s/data')).to.equal(true);
  });

  it('refuses a version that is not a positive integer', () => {
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => versionedKey('a/b', n)).to.throw(TvmError, /invalid object key version/);
    expect(caught(() => versionedKey('a/b', 0)).retriability, 'a bug, not something a retry fixes').to.equal('permanent');
  });
});
