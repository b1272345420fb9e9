import { expect } from 'chai';
import { PassThrough, Writable } from 'node:stream';
import { TransferWatch } from '../../../src/sinks/transfer-watch.js';
import { ErrorCodes, TvmError } from '../../../src/errors.js';
import { ManualTimers } from '../../support/fakes.js';

const flush = () => new Promise<void>((r) => setImmediate(r));

function setup(stallMs = 10_000) {
  const timers = new ManualTimers();
  const bytes: number[] = [];
  let stalls = 0;
  let stall = stallMs;
  const watch = new TransferWatch({ stallMs: () => stall, onBytes: (n) => bytes.push(n), onStall: () => stalls++, timers });
  const source = new PassThrough();
  const aborted: Error[] = [];
  const w = watch.observe(source, (e) => aborted.push(e));
  const sink: Buffer[] = [];
  return { timers, bytes, source, w, aborted, sink, stalls: () => stalls, setStall: (ms: number) => (stall = ms) };
}

describe('sinks/transfer-watch', () => {
  it('passes the bytes through unchanged and counts them', async () => {
    const s = setup();
    const got: Buffer[] = [];
    s.w.body.pipe(new Writable({ write: (c: Buffer, _e, cb) => { got.push(c); cb(); } }));
    s.source.write(Buffer.from('abc'));
    s.source.end(Buffer.from('de'));
    await flush();
    expect(Buffer.concat(got).toString()).to.equal('abcde');
    expect(s.bytes.reduce((a, b) => a + b, 0)).to.equal(5);
    s.w.release();
  });

  it('aborts a request that makes no progress for the stall timeout, with a retriable catalog error', async () => {
    const s = setup(10_000);
    s.w.body.resume();
    s.source.write(Buffer.alloc(10));
    await flush();
    s.timers.advance(9_000);
    s.source.write(Buffer.alloc(10)); // progress: the clock restarts
    await flush();
    s.timers.advance(9_000);
    expect(s.aborted).to.have.length(0);
    s.timers.advance(1_000);
    expect(s.aborted).to.have.length(1);
    const err = s.aborted[0] as TvmError;
    expect(err.code).to.equal(ErrorCodes.UPLOAD_STALLED);
    expect(err.retriable).to.equal(true);
    expect(err.message).to.equal('upload made no progress for 10 s (upload.stall_timeout_seconds); aborted, retried from its checkpoint');
    expect(s.stalls()).to.equal(1);
    s.timers.advance(60_000);
    expect(s.aborted).to.have.length(1); // once
  });

  it('never aborts once released, nor with the timeout set to 0', async () => {
    const s = setup(10_000);
    s.w.release();
    s.timers.advance(60_000);
    expect(s.aborted).to.have.length(0);
    const t = setup(0);
    t.timers.advance(60_000);
    expect(t.aborted).to.have.length(0);
    expect(t.timers.scheduled).to.equal(0);
  });

  it('arms no timer with the timeout at 0, and cancels its timer when released', () => {
    expect(setup(0).timers.scheduled).to.equal(0);
    const s = setup(10_000);
    expect(s.timers.scheduled).to.equal(1);
    s.w.release();
    expect(s.timers.scheduled, 'no timer left to keep firing').to.equal(0);
  });

  it('closes the source (the file stream) when the request body is closed, e.g. by an abort', async () => {
    const s = setup();
    s.w.body.destroy();
    await flush();
    expect(s.source.destroyed).to.equal(true);
    s.w.release();
  });

  it('reads the timeout at each check, so a reload that turns it off takes effect', () => {
    const s = setup(10_000);
    s.setStall(0);
    s.timers.advance(20_000);
    expect(s.aborted).to.have.length(0);
  });

  it('forwards a source error to the body', async () => {
    const s = setup();
    const seen: Error[] = [];
    s.w.body.on('error', (e) => seen.push(e));
    s.source.destroy(new Error('EIO'));
    await flush();
    expect(seen.map((e) => e.message)).to.deep.equal(['EIO']);
    s.w.release();
  });
});
