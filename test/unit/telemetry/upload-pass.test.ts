import { expect } from 'chai';
import { parseUploadPass, UploadPasses, UPLOAD_PASS_META_KEY } from '../../../src/telemetry/upload-pass.js';

function memoryMeta() {
  const m = new Map<string, string>();
  return { get: (k: string) => m.get(k) ?? null, set: (k: string, v: string) => void m.set(k, v), map: m };
}

describe('telemetry/upload-pass (following a pass from another process)', () => {
  it('numbers passes and records their start and end', () => {
    const meta = memoryMeta();
    let now = 1000;
    const passes = new UploadPasses(meta, { pid: 42, oneShot: false, now: () => now });
    const seq = passes.begin();
    expect(seq).to.equal(1);
    expect(parseUploadPass(meta.get(UPLOAD_PASS_META_KEY))).to.deep.equal({ seq: 1, pid: 42, oneShot: false, startedAt: 1000, finishedAt: null });
    now = 2000;
    passes.finish(seq);
    expect(parseUploadPass(meta.get(UPLOAD_PASS_META_KEY))).to.deep.include({ seq: 1, finishedAt: 2000 });
    expect(passes.begin()).to.equal(2);
  });

  it('never lets an earlier pass end a later one that overlapped it', () => {
    const meta = memoryMeta();
    const passes = new UploadPasses(meta, { pid: 1, oneShot: true, now: () => 5 });
    const a = passes.begin();
    const b = passes.begin();
    passes.finish(a);
    expect(parseUploadPass(meta.get(UPLOAD_PASS_META_KEY))).to.deep.include({ seq: b, finishedAt: null, oneShot: true });
    passes.finish(b);
    expect(parseUploadPass(meta.get(UPLOAD_PASS_META_KEY))?.finishedAt).to.equal(5);
  });

  it('reads a missing or damaged record as none', () => {
    expect(parseUploadPass(null)).to.equal(null);
    expect(parseUploadPass('{')).to.equal(null);
    expect(parseUploadPass('{"seq":1.5,"pid":1,"startedAt":1}')).to.equal(null);
    const meta = memoryMeta();
    meta.set(UPLOAD_PASS_META_KEY, 'garbage');
    expect(new UploadPasses(meta, { pid: 1, oneShot: false, now: () => 0 }).begin()).to.equal(1);
    new UploadPasses(memoryMeta(), { pid: 1, oneShot: false, now: () => 0 }).finish(3);
  });
});
