import { expect } from 'chai';
import { GroupCommit } from '../../../src/pipeline/group-commit.js';

/** A deferral the test runs by hand: the end of the "loop turn". */
function manualTurn() {
  const waiting: Array<() => void> = [];
  return {
    defer: (fn: () => void) => void waiting.push(fn),
    get armed() {
      return waiting.length;
    },
    end() {
      for (const fn of waiting.splice(0)) fn();
    },
  };
}

describe('pipeline/group-commit', () => {
  it('writes the items of one loop turn together, once the turn ends', () => {
    const turn = manualTurn();
    const writes: number[][] = [];
    const g = new GroupCommit<number>({ max: 10, write: (xs) => void writes.push([...xs]), defer: turn.defer });
    g.add(1);
    g.add(2);
    g.add(3);
    expect(writes).to.deep.equal([]);
    expect(g.pending).to.equal(3);
    expect(turn.armed, 'one deferral per batch, not per item').to.equal(1);
    turn.end();
    expect(writes).to.deep.equal([[1, 2, 3]]);
    expect(g.pending).to.equal(0);
    g.add(4);
    turn.end();
    expect(writes).to.deep.equal([[1, 2, 3], [4]]);
  });

  it('writes a batch that reaches max at once; the rest waits for the end of the turn', () => {
    const turn = manualTurn();
    const writes: number[][] = [];
    const g = new GroupCommit<number>({ max: 3, write: (xs) => void writes.push([...xs]), defer: turn.defer });
    for (let i = 1; i <= 7; i++) g.add(i);
    expect(writes).to.deep.equal([[1, 2, 3], [4, 5, 6]]);
    turn.end();
    expect(writes).to.deep.equal([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('writes nothing when nothing waits', () => {
    const turn = manualTurn();
    let writes = 0;
    const g = new GroupCommit<number>({ max: 2, write: () => void writes++, defer: turn.defer });
    g.add(1);
    g.add(2); // written at max; the deferral armed by the first add finds nothing
    turn.end();
    g.flush();
    expect(writes).to.equal(1);
  });

  it('close writes what waits and accepts nothing after', () => {
    const turn = manualTurn();
    const writes: number[][] = [];
    const g = new GroupCommit<number>({ max: 10, write: (xs) => void writes.push([...xs]), defer: turn.defer });
    g.add(1);
    g.close();
    expect(writes).to.deep.equal([[1]]);
    g.add(2);
    turn.end();
    g.close();
    expect(writes).to.deep.equal([[1]]);
    expect(g.pending).to.equal(0);
  });

  it('by default waits for setImmediate: after the I/O callbacks of the turn', async () => {
    const writes: number[][] = [];
    const g = new GroupCommit<number>({ max: 10, write: (xs) => void writes.push([...xs]) });
    g.add(1);
    await Promise.resolve();
    g.add(2);
    expect(writes, 'microtasks do not end the turn').to.deep.equal([]);
    await new Promise((r) => setImmediate(r));
    expect(writes).to.deep.equal([[1, 2]]);
  });

  it('refuses a max that is not a positive integer', () => {
    for (const max of [0, -1, 1.5, Number.NaN]) {
      expect(() => new GroupCommit<number>({ max, write: () => undefined }), String(max)).to.throw(RangeError, 'max must be a positive integer');
    }
  });
});
