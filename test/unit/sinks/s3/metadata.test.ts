import { expect } from 'chai';
import {
  buildObjectMetadata, contentTypeFor, holdsSameSource, MAX_USER_METADATA_BYTES, META, parseObjectMetadata,
} from '../../../../src/sinks/s3/metadata.js';
import { VERSION } from '../../../../src/version.js';

const sha = 'ab'.repeat(32);
const result = {
  sourceSha256: sha,
  sourceSize: 123456,
  sourceMtimeMs: Date.UTC(2024, 5, 1, 12, 30, 15, 250),
  codec: 'gzip' as const,
  storedReason: null,
};

describe('sinks/s3/metadata', () => {
  it('describes the source: hash, size, mtime, path, codec, vehicle and daemon version', () => {
    const m = buildObjectMetadata({ result, path: '/home/av/.ros/log/run-1/launch.log', vehicleId: 'vehicle-001' });
    expect(m).to.deep.equal({
      'source-sha256': sha,
      'source-size': '123456',
      'source-mtime': '2024-06-01T12:30:15.250Z',
      codec: 'gzip',
      'vehicle-id': 'vehicle-001',
      'tvm-upload-version': VERSION,
      'original-path': '%2Fhome%2Fav%2F.ros%2Flog%2Frun-1%2Flaunch.log',
    });
  });

  it('keeps every value printable ASCII (they travel as HTTP headers)', () => {
    const m = buildObjectMetadata({ result, path: '/logs/日志 #1 ü.log', vehicleId: 'fahrzeug-ä/1' });
    for (const v of Object.values(m)) expect(v).to.match(/^[\x20-\x7e]*$/);
  });

  it('round-trips through parse, including non-ASCII paths and vehicle ids', () => {
    const sourcePath = '/logs/日志 #1 ü%20+.log';
    const m = buildObjectMetadata({ result, path: sourcePath, vehicleId: 'fahrzeug-ä/1' });
    expect(parseObjectMetadata(m)).to.deep.equal({
      sourceSha256: sha,
      sourceSize: 123456,
      sourceMtimeMs: result.sourceMtimeMs,
      originalPath: sourcePath,
      codec: 'gzip',
      vehicleId: 'fahrzeug-ä/1',
      version: VERSION,
    });
  });

  it('says why a file was stored uncompressed', () => {
    const m = buildObjectMetadata({ result: { ...result, codec: 'none', storedReason: 'magic:gzip' }, path: '/l/a.gz', vehicleId: 'v' });
    expect(m[META.storedReason]).to.equal('magic:gzip');
    expect(parseObjectMetadata(m).storedReason).to.equal('magic:gzip');
    const compressed = buildObjectMetadata({ result, path: '/l/a.log', vehicleId: 'v' });
    expect(compressed).not.to.have.property(META.storedReason);
  });

  it('omits an original path that would exceed the 2 KiB metadata limit', () => {
    const long = '/' + 'd/'.repeat(600) + '日志.log';
    const m = buildObjectMetadata({ result, path: long, vehicleId: 'v' });
    expect(m).not.to.have.property(META.originalPath);
    expect(m[META.originalPathOmitted]).to.equal('too-long');
    let bytes = 0;
    for (const [k, v] of Object.entries(m)) bytes += Buffer.byteLength(`x-amz-meta-${k}`) + Buffer.byteLength(v);
    expect(bytes).to.be.at.most(MAX_USER_METADATA_BYTES);
  });

  it('parses what S3 returns: lower-cased keys, missing or malformed fields', () => {
    expect(parseObjectMetadata(undefined)).to.deep.equal({});
    expect(parseObjectMetadata({ 'Source-SHA256': sha.toUpperCase(), 'source-size': 'abc', 'source-mtime': 'yesterday', codec: 'lz4' })).to.deep.equal({
      sourceSha256: sha,
    });
    expect(parseObjectMetadata({ 'original-path': '%E0%A4%A', 'source-size': ' ' })).to.deep.equal({ originalPath: '%E0%A4%A' });
  });

  it('recognises an object that already holds the same source bytes', () => {
    const m = buildObjectMetadata({ result, path: '/l/a.log', vehicleId: 'v' });
    expect(holdsSameSource(m, sha)).to.equal(true);
    expect(holdsSameSource(m, sha.toUpperCase())).to.equal(true);
    expect(holdsSameSource(m, 'cd'.repeat(32))).to.equal(false);
    expect(holdsSameSource({}, sha)).to.equal(false);
    expect(holdsSameSource(undefined, sha)).to.equal(false);
  });

  const types: Array<[string, string]> = [
    ['v/d/ros/a.log.gz', 'application/gzip'],
    ['v/d/ros/a.log.zst', 'application/zstd'],
    ['v/d/ros/a.log', 'text/plain; charset=utf-8'],
    ['v/d/ros/NOTES.TXT', 'text/plain; charset=utf-8'],
    ['v/d/ros/run.mcap', 'application/octet-stream'],
    ['v/d/ros/noext', 'application/octet-stream'],
    ['v/d/logs.gz/noext', 'application/octet-stream'],
  ];
  for (const [key, type] of types) {
    it(`gives ${key} the content type ${type}`, () => {
      expect(contentTypeFor(key)).to.equal(type);
    });
  }
});
