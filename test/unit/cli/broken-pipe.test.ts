import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { handleBrokenPipe } from '../../../src/cli/broken-pipe.js';

const epipe = (): NodeJS.ErrnoException => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });

describe('cli/broken-pipe', () => {
  it('ends a command quietly when the reader of its output goes away (status | head)', () => {
    const out = new EventEmitter();
    let exits = 0;
    handleBrokenPipe(out, { daemon: false, exit: () => exits++ });
    out.emit('error', epipe());
    expect(exits).to.equal(1);
  });

  it('keeps the daemon running when its log output breaks', () => {
    const out = new EventEmitter();
    let exits = 0;
    handleBrokenPipe(out, { daemon: true, exit: () => exits++ });
    expect(() => out.emit('error', epipe())).to.not.throw();
    expect(exits).to.equal(0);
  });

  it('leaves any other output error to the process guards', () => {
    const out = new EventEmitter();
    handleBrokenPipe(out, { daemon: false, exit: () => expect.fail('must not exit') });
    expect(() => out.emit('error', Object.assign(new Error('no space'), { code: 'ENOSPC' }))).to.throw('no space');
  });
});
