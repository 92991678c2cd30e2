import { ReadBudget } from '../../../src/webdav/read-budget';

describe('ReadBudget', () => {
  it('allows `limit` large reads at once and another only once one is given back', () => {
    const budget = new ReadBudget(2);
    const first = budget.takeLarge();
    const second = budget.takeLarge();
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(budget.takeLarge()).toBeUndefined();
    expect(budget.inUse).toBe(2);
    first?.();
    expect(budget.inUse).toBe(1);
    expect(budget.takeLarge()).toBeDefined();
    expect(budget.inUse).toBe(2);
  });

  it('counts a read given back twice only once', () => {
    const budget = new ReadBudget(2);
    const release = budget.takeLarge();
    budget.takeLarge();
    release?.();
    release?.();
    expect(budget.inUse).toBe(1);
  });
});
