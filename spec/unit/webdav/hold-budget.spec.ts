import { HoldBudget } from '../../../src/webdav/hold-budget';

describe('HoldBudget', () => {
  it('allows `limit` large buffers at once and another only once one is given back', () => {
    const budget = new HoldBudget(2);
    const first = budget.take();
    const second = budget.take();
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(budget.take()).toBeUndefined();
    expect(budget.inUse).toBe(2);
    first?.();
    expect(budget.inUse).toBe(1);
    expect(budget.take()).toBeDefined();
    expect(budget.inUse).toBe(2);
  });

  it('counts a read given back twice only once', () => {
    const budget = new HoldBudget(2);
    const release = budget.take();
    budget.take();
    release?.();
    release?.();
    expect(budget.inUse).toBe(1);
  });
});
