import { expect } from 'chai';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import type { StateStore } from '../../../src/state/store.js';
import { closeAndRemove, input, PROOF, storeInTempDir } from './helpers.js';

describe('MultipartRepo', () => {
  let dir: string;
  let store: StateStore;
  let fileId: number;

  const header = (over: Record<string, unknown> = {}) => ({
    fileId,
    uploadId: 'upload-1',
    objectKey: 'v1/2026-11-30/ros/big.mcap',
    partSize: 8 * 1024 * 1024,
    uploadPath: '/var/lib/tvm-upload/spool/big.mcap',
    sourceSha256: 'aa'.repeat(32),
    proof: PROOF,
    createdAt: 1000,
    ...over,
  });

  beforeEach(() => {
    ({ dir, store } = storeInTempDir());
    store.files.enqueue(input({ path: '/logs/big.mcap' }), 1);
    fileId = store.files.getByPath('/logs/big.mcap')!.id;
  });
  afterEach(() => closeAndRemove(store, dir));

  it('returns null for a file without an upload in progress', () => {
    expect(store.multipart.get(fileId)).to.equal(null);
  });

  it('records an upload and its parts, returned in part order', () => {
    store.multipart.begin(header());
    store.multipart.recordPart(fileId, { partNumber: 2, etag: '"e2"', size: 8 });
    store.multipart.recordPart(fileId, { partNumber: 1, etag: '"e1"', size: 8 });
    expect(store.multipart.get(fileId)).to.deep.equal({
      ...header(),
      parts: [
        { partNumber: 1, etag: '"e1"', size: 8 },
        { partNumber: 2, etag: '"e2"', size: 8 },
      ],
    });
  });

  it('keeps the latest etag when a part is uploaded again', () => {
    store.multipart.begin(header());
    store.multipart.recordPart(fileId, { partNumber: 1, etag: '"old"', size: 8 });
    store.multipart.recordPart(fileId, { partNumber: 1, etag: '"new"', size: 7 });
    expect(store.multipart.get(fileId)!.parts).to.deep.equal([{ partNumber: 1, etag: '"new"', size: 7 }]);
  });

  it('replaces an earlier upload of the same file, parts included', () => {
    store.multipart.begin(header());
    store.multipart.recordPart(fileId, { partNumber: 1, etag: '"e1"', size: 8 });
    store.multipart.begin(header({ uploadId: 'upload-2', createdAt: 2000 }));
    expect(store.multipart.get(fileId)).to.deep.include({ uploadId: 'upload-2', createdAt: 2000, parts: [] });
  });

  it('deletes an upload with its parts', () => {
    store.multipart.begin(header());
    store.multipart.recordPart(fileId, { partNumber: 1, etag: '"e1"', size: 8 });
    store.multipart.delete(fileId);
    expect(store.multipart.get(fileId)).to.equal(null);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM multipart_parts').get()).to.deep.equal({ n: 0 });
  });

  it('loses the upload when its file row is deleted (cascade)', () => {
    store.multipart.begin(header());
    store.multipart.recordPart(fileId, { partNumber: 1, etag: '"e1"', size: 8 });
    store.files.remove(fileId);
    expect(store.multipart.listAll()).to.deep.equal([]);
    expect(store.db.prepare('SELECT COUNT(*) AS n FROM multipart_parts').get()).to.deep.equal({ n: 0 });
  });

  it('lists all uploads and those started before a cutoff, oldest first', () => {
    store.files.enqueue(input({ path: '/logs/other.mcap' }), 2);
    const other = store.files.getByPath('/logs/other.mcap')!.id;
    store.multipart.begin(header({ createdAt: 5000 }));
    store.multipart.begin(header({ fileId: other, uploadId: 'u-other', createdAt: 100 }));
    store.multipart.recordPart(other, { partNumber: 3, etag: '"x"', size: 1 });
    expect(store.multipart.listAll().map((m) => m.uploadId)).to.deep.equal(['u-other', 'upload-1']);
    const old = store.multipart.olderThan(5000);
    expect(old.map((m) => m.uploadId)).to.deep.equal(['u-other']);
    expect(old[0]!.parts).to.deep.equal([{ partNumber: 3, etag: '"x"', size: 1 }]);
  });

  it('refuses progress for a file that has no row (a caller bug) with an INTERNAL error', () => {
    try {
      store.multipart.begin(header({ fileId: 12345 }));
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(TvmError);
      expect((err as TvmError).code).to.equal(ErrorCodes.INTERNAL);
    }
  });
});
