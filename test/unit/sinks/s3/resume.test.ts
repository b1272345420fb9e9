import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import { reconcileParts, type PartPlan, type ReconcileInput } from '../../../../src/sinks/s3/resume.js';
import type { CompletedPart, MultipartProgress } from '../../../../src/state/types.js';
import { silentLogger } from '../../../../src/telemetry/logger.js';

const md5b64 = (s: string) => createHash('md5').update(s).digest('base64');
const etagOf = (b64: string) => `"${Buffer.from(b64, 'base64').toString('hex')}"`;

const plan: PartPlan[] = [
  { partNumber: 1, start: 0, end: 99, size: 100 },
  { partNumber: 2, start: 100, end: 199, size: 100 },
  { partNumber: 3, start: 200, end: 249, size: 50 },
];
const md5s = ['one', 'two', 'three'].map(md5b64);

type Page = { Parts?: Array<{ PartNumber?: number; ETag?: string; Size?: number }>; IsTruncated?: boolean; NextPartNumberMarker?: string };

function input(o: { pages?: Page[] | ((i: number) => Page); error?: unknown; recorded?: CompletedPart[]; opaque?: boolean; uploadPath?: string } = {}) {
  const calls: Array<{ input: ListPartsCommand['input']; signal: AbortSignal | undefined }> = [];
  const adopted: CompletedPart[] = [];
  const progress: MultipartProgress = {
    fileId: 1, uploadId: 'up-1', objectKey: 'k', partSize: 100, uploadPath: '/spool/1.gz', sourceSha256: 'ab',
    proof: { codec: 'gzip', codecLevel: 6, codecVersion: 'zlib', outputSha256: 'x' }, createdAt: 0, parts: o.recorded ?? [],
  };
  const signal = new AbortController().signal;
  const i: ReconcileInput = {
    client: {
      send: (async (cmd: ListPartsCommand, opts?: { abortSignal?: AbortSignal }) => {
        calls.push({ input: cmd.input, signal: opts?.abortSignal });
        if (o.error !== undefined) throw o.error;
        const pages = o.pages ?? [{ Parts: [] }];
        return typeof pages === 'function' ? pages(calls.length - 1) : pages[calls.length - 1];
      }) as never,
    },
    bucket: 'b', key: 'k', plan, partMd5s: md5s, uploadPath: o.uploadPath ?? '/spool/1.gz', opaqueEtags: o.opaque ?? false, progress,
    adopt: (p) => void adopted.push(p), logger: silentLogger(), signal,
  };
  return { i, calls, adopted, signal };
}

const serverPart = (n: number, size = plan[n - 1]!.size, etag = etagOf(md5s[n - 1]!)) => ({ PartNumber: n, ETag: etag, Size: size });

describe('sinks/s3/resume reconcileParts', () => {
  it('keeps the server\'s parts whose ETag is our MD5 for that slice, adopting those the crash kept us from recording', async () => {
    const recorded = [{ partNumber: 1, etag: etagOf(md5s[0]!), size: 100 }];
    const { i, adopted } = input({ recorded, pages: [{ Parts: [serverPart(1), serverPart(2)] }] });
    const done = await reconcileParts(i);
    expect([...done.keys()]).to.deep.equal([1, 2]);
    expect(adopted.map((p) => p.partNumber), 'part 1 was recorded already').to.deep.equal([2]);
  });

  it('never keeps a server part whose size is not the planned one, even with a known ETag', async () => {
    const recorded = [{ partNumber: 2, etag: 'opaque-2', size: 100 }];
    const { i, adopted } = input({ opaque: true, recorded, pages: [{ Parts: [serverPart(1, 99), serverPart(2, 101, 'opaque-2')] }] });
    expect((await reconcileParts(i)).size).to.equal(0);
    expect(adopted).to.deep.equal([]);
  });

  it('does not keep a server part whose ETag is another MD5', async () => {
    const { i } = input({ pages: [{ Parts: [serverPart(1, 100, etagOf(md5b64('not ours')))] }] });
    expect((await reconcileParts(i)).size).to.equal(0);
  });

  it('asks for the upload\'s parts with the caller\'s abort signal', async () => {
    const { i, calls, signal } = input();
    await reconcileParts(i);
    expect(calls).to.have.length(1);
    expect(calls[0]!.input).to.deep.include({ Bucket: 'b', Key: 'k', UploadId: 'up-1' });
    expect(calls[0]!.signal).to.equal(signal);
  });

  it('follows the part-number marker across pages and stops at the last one', async () => {
    const { i, calls } = input({ pages: [{ Parts: [serverPart(1)], IsTruncated: true, NextPartNumberMarker: '1' }, { Parts: [serverPart(3)], IsTruncated: false }] });
    const done = await reconcileParts(i);
    expect([...done.keys()]).to.deep.equal([1, 3]);
    expect(calls.map((c) => c.input.PartNumberMarker)).to.deep.equal([undefined, '1']);
  });

  it('stops when a truncated page gives no marker to continue from', async () => {
    const { i, calls } = input({ pages: () => ({ Parts: [serverPart(1)], IsTruncated: true }) });
    await reconcileParts(i);
    expect(calls).to.have.length(1);
  });

  it('asks for at most 20 pages from a server that always says there is more', async () => {
    const { i, calls } = input({ pages: (n) => ({ Parts: [], IsTruncated: true, NextPartNumberMarker: String(n + 1) }) });
    await reconcileParts(i);
    expect(calls).to.have.length(20);
  });

  for (const [what, error] of [
    ['NotImplemented', Object.assign(new Error('no'), { name: 'NotImplemented' })],
    ['MethodNotAllowed', Object.assign(new Error('no'), { name: 'MethodNotAllowed' })],
    ['HTTP 405', Object.assign(new Error('no'), { $metadata: { httpStatusCode: 405 } })],
    ['HTTP 501', Object.assign(new Error('no'), { $metadata: { httpStatusCode: 501 } })],
  ] as const) {
    it(`trusts the recorded parts that match our MD5s when the server has no ListParts (${what})`, async () => {
      const recorded = [{ partNumber: 1, etag: etagOf(md5s[0]!), size: 100 }, { partNumber: 2, etag: etagOf(md5b64('stale')), size: 100 }, { partNumber: 3, etag: etagOf(md5s[2]!), size: 49 }];
      const { i, adopted } = input({ recorded, error });
      const done = await reconcileParts(i);
      expect([...done.keys()], 'part 2 is another MD5, part 3 another size').to.deep.equal([1]);
      expect(adopted).to.deep.equal([]);
    });
  }

  it('lets any other ListParts failure through (NoSuchUpload, a 500)', async () => {
    const error = Object.assign(new Error('boom'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
    const { i } = input({ error });
    const e = await reconcileParts(i).then(() => null, (err: unknown) => err);
    expect(e).to.equal(error);
  });

  it('with opaque ETags (SSE-KMS) trusts a recorded part only when the spool file is the same and the server lists that ETag', async () => {
    const recorded = [{ partNumber: 1, etag: 'kms-1', size: 100 }, { partNumber: 2, etag: 'kms-2', size: 100 }];
    const same = input({ opaque: true, recorded, pages: [{ Parts: [serverPart(1, 100, 'kms-1'), serverPart(2, 100, 'kms-other')] }] });
    expect([...(await reconcileParts(same.i)).keys()]).to.deep.equal([1]);
    const moved = input({ opaque: true, recorded, uploadPath: '/spool/1.zst', pages: [{ Parts: [serverPart(1, 100, 'kms-1')] }] });
    expect((await reconcileParts(moved.i)).size, 'another spool file: its bytes are not provably the same').to.equal(0);
  });
});
