import { expect } from 'chai';
import {
  detectFormat,
  hasSkippedExtension,
  INCOMPRESSIBLE_RATIO,
  isIncompressible,
  storeReasonBeforeSample,
} from '../../../src/workers/sniff.js';

const b = (...bytes: number[]): Buffer => Buffer.from([...bytes, 0x41, 0x42, 0x43]);

describe('workers/sniff', () => {
  describe('detectFormat', () => {
    const cases: Array<[string, Buffer]> = [
      ['gzip', b(0x1f, 0x8b, 0x08)],
      ['zstd', b(0x28, 0xb5, 0x2f, 0xfd)],
      ['bzip2', Buffer.from('BZh91AY&SY')],
      ['xz', b(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)],
      ['lz4', b(0x04, 0x22, 0x4d, 0x18)],
      ['zip', b(0x50, 0x4b, 0x03, 0x04)],
      ['zip', b(0x50, 0x4b, 0x05, 0x06)],
      ['zip', b(0x50, 0x4b, 0x07, 0x08)],
      ['7z', b(0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c)],
    ];
    for (const [format, head] of cases) {
      it(`recognises ${format} from its signature ${head.subarray(0, 4).toString('hex')}`, () => {
        expect(detectFormat(head)).to.equal(format);
      });
    }

    it('does not take plain text starting with "BZh" for bzip2', () => {
      expect(detectFormat(Buffer.from('BZhello world'))).to.equal(null);
      expect(detectFormat(Buffer.from('BZh'))).to.equal(null);
    });

    it('ignores heads shorter than a signature', () => {
      expect(detectFormat(Buffer.from([0x1f]))).to.equal(null);
      expect(detectFormat(Buffer.from([0x28, 0xb5, 0x2f]))).to.equal(null);
      expect(detectFormat(Buffer.alloc(0))).to.equal(null);
    });

    it('does not match a signature that is not at offset 0', () => {
      expect(detectFormat(Buffer.from([0x00, 0x1f, 0x8b, 0x08]))).to.equal(null);
      expect(detectFormat(Buffer.from('2026-11-30 INFO PK\x03\x04'))).to.equal(null);
    });

    it('returns null for log text', () => {
      expect(detectFormat(Buffer.from('2026-11-30T08:00:00Z INFO started\n'))).to.equal(null);
    });
  });

  describe('hasSkippedExtension', () => {
    it('matches the file name suffix case-insensitively', () => {
      expect(hasSkippedExtension('/logs/run/Drive.MCAP', ['.mcap'])).to.equal(true);
      expect(hasSkippedExtension('/logs/run/drive.bag', ['.mcap'])).to.equal(false);
    });

    it('supports multi-dot extensions and ignores the directory part', () => {
      expect(hasSkippedExtension('/logs/a.tar.gz', ['.tar.gz'])).to.equal(true);
      expect(hasSkippedExtension('/logs.mcap/plain.log', ['.mcap'])).to.equal(false);
    });

    it('never matches on an empty configured extension', () => {
      expect(hasSkippedExtension('/logs/a.log', [''])).to.equal(false);
    });
  });

  describe('storeReasonBeforeSample', () => {
    const request = { sourcePath: '/logs/a.mcap', skipExtensions: ['.mcap'] };
    it('prefers the extension over the magic bytes', () => {
      expect(storeReasonBeforeSample(request, b(0x1f, 0x8b))).to.equal('extension');
    });
    it('names the detected format', () => {
      expect(storeReasonBeforeSample({ ...request, sourcePath: '/logs/a.log' }, b(0x28, 0xb5, 0x2f, 0xfd))).to.equal('magic:zstd');
    });
    it('asks for a trial compression when nothing matches', () => {
      expect(storeReasonBeforeSample({ ...request, sourcePath: '/logs/a.log' }, Buffer.from('hello'))).to.equal(null);
    });
  });

  describe('isIncompressible', () => {
    it(`stores when the output is above ${INCOMPRESSIBLE_RATIO * 100} % of the sample`, () => {
      expect(isIncompressible(1000, 901)).to.equal(true);
      expect(isIncompressible(1000, 900)).to.equal(false);
      expect(isIncompressible(1000, 100)).to.equal(false);
    });
    it('treats an empty sample as incompressible (any output is larger than nothing)', () => {
      expect(isIncompressible(0, 20)).to.equal(true);
    });
  });
});
