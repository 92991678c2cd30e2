import { EventEmitter } from 'node:events';
import { HoldBudget, ResponseHolds } from '../../../src/webdav/hold-budget';

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

describe('ResponseHolds', () => {
  it('gives back a unit on its own release, and every unit still held when the response closes', () => {
    const budget = new HoldBudget(3);
    const response = new EventEmitter();
    const holds = new ResponseHolds(budget, response);
    const first = holds.take();
    holds.take();
    holds.take();
    expect(holds.take()).toBeUndefined();
    first?.();
    expect(budget.inUse).toBe(2);
    response.emit('close');
    expect(budget.inUse).toBe(0);
    // Released already: a late release (its buffer written after all) counts nothing twice.
    first?.();
    expect(budget.inUse).toBe(0);
  });
});
