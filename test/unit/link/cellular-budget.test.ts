import { expect } from 'chai';
import { BUDGET_META_KEY, CellularBudget, monthOf, nextMonthStart } from '../../../src/link/cellular-budget.js';
import { MemoryStore } from '../priority/memory-store.js';


const MB = 1e6;
const local = (y: number, m: number, d: number, h = 12) => new Date(y, m - 1, d, h).getTime();

describe('link/cellular-budget', () => {
  it('goes ok → high-only at 80 % → exhausted at 100 %', () => {
    const t = local(2026, 12, 7);
    const b = new CellularBudget(new MemoryStore(), 100 * MB, () => t);
    b.record(79 * MB);
    expect(b.level()).to.equal('ok');
    b.record(1 * MB);
    expect(b.level()).to.equal('high-only');
    b.record(19.999999 * MB);
    expect(b.level()).to.equal('high-only');
    b.record(1);
    expect(b.level()).to.equal('exhausted');
    expect(b.snapshot()).to.deep.include({ month: '2026-12', usedBytes: 100 * MB, limitBytes: 100 * MB, leftBytes: 0 });
  });

  it('starts the new month from zero on the first, local time', () => {
    let t = local(2026, 12, 31, 23);
    const b = new CellularBudget(new MemoryStore(), 10 * MB, () => t);
    b.record(10 * MB);
    expect(b.level()).to.equal('exhausted');
    t = nextMonthStart(t);
    expect(new Date(t).getDate()).to.equal(1);
    expect(b.level()).to.equal('ok');
    expect(b.snapshot()).to.deep.include({ month: '2027-01', usedBytes: 0 });
  });

  it('survives a restart: the count is persisted and read back', () => {
    const store = new MemoryStore();
    const t = local(2026, 12, 7);
    const a = new CellularBudget(store, 100 * MB, () => t);
    a.record(50 * MB); // above the flush threshold: written at once
    a.record(10);
    a.flush();
    const b = new CellularBudget(store, 100 * MB, () => t);
    expect(b.snapshot().usedBytes).to.equal(50 * MB + 10);
  });

  it('does not carry a saved count of an earlier month into this one', () => {
    const store = new MemoryStore();
    store.set(BUDGET_META_KEY, JSON.stringify({ month: '2026-11', bytes: 99 * MB }));
    const b = new CellularBudget(store, 100 * MB, () => local(2026, 12, 1, 0));
    expect(b.snapshot()).to.deep.include({ month: '2026-12', usedBytes: 0, level: 'ok' });
    expect(JSON.parse(store.get(BUDGET_META_KEY)!)).to.deep.equal({ month: '2026-12', bytes: 0 });
  });

  it('treats a damaged saved value as no record', () => {
    const store = new MemoryStore();
    store.set(BUDGET_META_KEY, '{not json');
    expect(new CellularBudget(store, 1, () => local(2026, 12, 7)).snapshot().usedBytes).to.equal(0);
    store.set(BUDGET_META_KEY, JSON.stringify({ month: '2026-12', bytes: -5 }));
    expect(new CellularBudget(store, 1, () => local(2026, 12, 7)).snapshot().usedBytes).to.equal(0);
  });

  it('counts without a limit and never restricts', () => {
    const b = new CellularBudget(new MemoryStore(), null, () => local(2026, 12, 7));
    b.record(5 * MB);
    expect(b.snapshot()).to.deep.include({ usedBytes: 5 * MB, limitBytes: null, leftBytes: null, level: 'ok' });
    b.setLimit(5 * MB);
    expect(b.level()).to.equal('exhausted');
  });

  it('names months as YYYY-MM', () => {
    expect(monthOf(local(2027, 1, 1, 0))).to.equal('2027-01');
  });
});
