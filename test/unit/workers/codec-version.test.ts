import { expect } from 'chai';
import { createRequire } from 'node:module';
import { codecVersion } from '../../../src/workers/codec-version.js';

describe('workers/codec-version', () => {
  it('names the library and version behind each codec, so an upgrade is seen by a multipart resume', () => {
    expect(codecVersion('gzip')).to.equal(`zlib ${process.versions.zlib}`);
    expect(codecVersion('none')).to.equal('none');
    const builtin = (process.versions as Record<string, string | undefined>).zstd;
    const expected = builtin !== undefined
      ? `zstd ${builtin}`
      : `zstd-napi ${(createRequire(import.meta.url)('zstd-napi/package.json') as { version: string }).version}`;
    expect(codecVersion('zstd')).to.equal(expected);
  });
});
