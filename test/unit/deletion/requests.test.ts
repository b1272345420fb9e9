import { expect } from 'chai';
import type { PassReport } from '../../../src/deletion/pass.js';
import { answerTo, MAX_KEPT, parseRequestedPasses, REQUESTED_PASSES_KEY, RequestedPasses, type RequestedPass } from '../../../src/deletion/requests.js';
import { capturingLogger } from '../sinks/cloudwatch/helpers.js';

function memoryMeta() {
  const rows = new Map<string, string>();
  return { rows, getMeta: (k: string) => rows.get(k) ?? null, setMeta: (k: string, v: string) => void rows.set(k, v) };
}

const report = (over: Partial<PassReport> = {}): PassReport => ({
  trigger: 'request', dryRun: false, startedAt: 1010, finishedAt: 1020, ageBasedRan: true, deletedCount: 2, deletedBytes: 300, notUploadedCount: 1, entries: [], filesystems: [], ...over,
});

describe('deletion/requests: passes asked for from outside, as a waiting cleanup reads them', () => {
  it('records the request when taken and completes it with the pass figures', async () => {
    const meta = memoryMeta();
    let now = 1000;
    const r = new RequestedPasses(meta, () => now, capturingLogger().logger);
    let during: RequestedPass[] = [];
    await r.run(() => {
      during = parseRequestedPasses(meta.getMeta(REQUESTED_PASSES_KEY));
      now = 1030;
      return Promise.resolve(report());
    });
    expect(during).to.deep.equal([{ seq: 1, requestedAt: 1000, startedAt: null, finishedAt: null, ageBasedRan: false, deleted: 0, bytes: 0, notUploaded: 0, filesystems: [], error: null }]);
    expect(parseRequestedPasses(meta.getMeta(REQUESTED_PASSES_KEY))).to.deep.equal([
      { seq: 1, requestedAt: 1000, startedAt: 1010, finishedAt: 1020, ageBasedRan: true, deleted: 2, bytes: 300, notUploaded: 1, filesystems: [], error: null },
    ]);
  });

  it('records a failed pass with its reason and rejects as the pass did', async () => {
    const meta = memoryMeta();
    const r = new RequestedPasses(meta, () => 5, capturingLogger().logger);
    let thrown: unknown = null;
    await r.run(() => Promise.reject(new Error('EIO'))).catch((e: unknown) => (thrown = e));
    expect((thrown as Error).message).to.equal('EIO');
    expect(parseRequestedPasses(meta.getMeta(REQUESTED_PASSES_KEY))[0]).to.include({ seq: 1, finishedAt: 5, error: 'EIO' });
  });

  it(`keeps the newest ${MAX_KEPT} requests and goes on numbering`, async () => {
    const meta = memoryMeta();
    const r = new RequestedPasses(meta, () => 1, capturingLogger().logger);
    for (let i = 0; i < MAX_KEPT + 5; i++) await r.run(() => Promise.resolve(report()));
    const kept = parseRequestedPasses(meta.getMeta(REQUESTED_PASSES_KEY));
    expect(kept).to.have.length(MAX_KEPT);
    expect(kept.map((e) => e.seq)).to.deep.equal(Array.from({ length: MAX_KEPT }, (_, i) => i + 6));
  });

  it('answers a request with the first later-numbered entry taken after the signal, not another process\'s earlier one', () => {
    const e = (seq: number, requestedAt: number): RequestedPass => ({ seq, requestedAt, startedAt: null, finishedAt: null, ageBasedRan: false, deleted: 0, bytes: 0, notUploaded: 0, filesystems: [], error: null });
    const list = [e(3, 100), e(4, 199), e(5, 200), e(6, 300)];
    expect(answerTo(list, 3, 200)?.seq).to.equal(5);
    expect(answerTo(list, 6, 200)).to.equal(null);
    expect(answerTo([], 0, 0)).to.equal(null);
  });

  it('reads a damaged row as none, and a store that refuses the write costs only the record', async () => {
    expect(parseRequestedPasses('{oops')).to.deep.equal([]);
    expect(parseRequestedPasses('{"seq":1}')).to.deep.equal([]);
    expect(parseRequestedPasses('[{"seq":"x"},{"seq":2,"requestedAt":5}]').map((x) => x.seq)).to.deep.equal([2]);
    const log = capturingLogger();
    const r = new RequestedPasses({ getMeta: () => null, setMeta: () => { throw new Error('SQLITE_READONLY'); } }, () => 1, log.logger);
    expect((await r.run(() => Promise.resolve(report()))).deletedCount).to.equal(2);
    expect(log.matching(/cannot record the requested deletion pass/)).to.have.length(2);
  });
});
