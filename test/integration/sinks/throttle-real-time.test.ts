/**
 * The bandwidth throttle on the real clock and real timers (the unit tests drive it in virtual
 * time). Only a lower bound is asserted: a loaded machine can make the transfer slower, never
 * faster than the cap allows.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Throttle } from '../../../src/sinks/throttle.js';
import { byteSource } from '../../support/byte-source.js';

describe('sinks/throttle in real time', () => {
  it('takes at least 1.5 s to pass 2 MB at 1 MB/s in real time (the cap is honoured)', async function () {
    this.timeout(15_000);
    const t = new Throttle({ bytesPerSecond: 1_000_000 });
    const started = performance.now();
    let bytes = 0;
    await pipeline(
      t.wrap(byteSource(2_000_000)),
      new Writable({
        write(c: Buffer, _e, cb) {
          bytes += c.length;
          cb();
        },
      }),
    );
    expect(bytes).to.equal(2_000_000);
    expect(performance.now() - started).to.be.at.least(1_500);
  });
});
