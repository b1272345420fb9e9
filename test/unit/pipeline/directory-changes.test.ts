import { expect } from 'chai';
import { planDirectories } from '../../../src/pipeline/directory-changes.js';
import type { LogDirectory } from '../../../src/config/types.js';

const d = (path: string, extra: Partial<LogDirectory> = {}): LogDirectory => ({
  path, source: path.slice(1), recursive: true, pattern: null, allowDeletion: true, legacy: false, ...extra,
});

describe('pipeline/directory-changes', () => {
  it('keeps every directory in its slot when nothing changed', () => {
    const p = planDirectories([d('/a'), d('/b')], [d('/b'), d('/a')]);
    expect(p.slots).to.deep.equal([d('/a'), d('/b')]);
    expect(p).to.deep.include({ removed: [], added: [], rescan: [] });
  });

  it('empties the slot of a removed directory and appends an added one', () => {
    const p = planDirectories([d('/a'), d('/b')], [d('/b'), d('/c')]);
    expect(p.slots).to.deep.equal([null, d('/b'), d('/c')]);
    expect(p).to.deep.include({ removed: [0], added: [2], rescan: [] });
  });

  it('reuses an empty slot from an earlier reload, not one emptied by this one', () => {
    const p = planDirectories([null, d('/b')], [d('/a'), d('/b')]);
    expect(p.slots).to.deep.equal([d('/a'), d('/b')]);
    expect(p).to.deep.include({ removed: [], added: [0], rescan: [] });
    const swap = planDirectories([d('/a')], [d('/c')]);
    expect(swap.slots).to.deep.equal([null, d('/c')]);
    expect(swap).to.deep.include({ removed: [0], added: [1] });
  });

  it('keeps the slot list as long as the most directories watched at once, however often they change', () => {
    let slots: ReturnType<typeof planDirectories>['slots'] = [d('/a')];
    for (let i = 0; i < 50; i++) slots = planDirectories(slots, [d(i % 2 === 0 ? '/b' : '/a')]).slots;
    expect(slots.length).to.equal(2);
  });

  it('rescans a directory whose pattern or recursion changed, not one whose source changed', () => {
    const p = planDirectories(
      [d('/a'), d('/b'), d('/c')],
      [d('/a', { pattern: '*.log' }), d('/b', { recursive: false }), d('/c', { source: 'other', allowDeletion: false })],
    );
    expect(p.slots[2]).to.deep.include({ source: 'other', allowDeletion: false });
    expect(p).to.deep.include({ removed: [], added: [], rescan: [0, 1] });
  });
});
