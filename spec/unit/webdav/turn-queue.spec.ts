import { TurnQueue } from '../../../src/webdav/turn-queue';
import { fakeGone } from './support/fake-gone';

describe('TurnQueue', () => {
  it('gives `limit` turns at once, then one per ended turn, first come first served', async () => {
    const queue = new TurnQueue(2);
    const first = await queue.acquire();
    await queue.acquire();
    const order: string[] = [];
    const third = queue.acquire().then((end) => (order.push('third'), end));
    const fourth = queue.acquire().then((end) => (order.push('fourth'), end));
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(queue.waitingCount).toBe(2);
    first();
    first(); // ending a turn twice passes on one turn only
    await third;
    await Promise.resolve();
    expect(order).toEqual(['third']);
    expect(queue.inUse).toBe(2);
    (await third)();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
    expect(queue.waitingCount).toBe(0);
  });

  it('lets a waiter whose request is gone leave: it gets no turn, and the next waiter gets the freed one', async () => {
    const queue = new TurnQueue(1);
    const first = await queue.acquire();
    const gone = fakeGone();
    const dropped = queue.acquire(gone);
    const next = queue.acquire();
    expect(queue.waitingCount).toBe(2);
    gone.leave();
    expect(await dropped).toBeUndefined();
    expect(queue.waitingCount).toBe(1);
    first();
    (await next)();
    expect(queue.inUse).toBe(0);
    expect(gone.listeners).toBe(0);
  });

  it('gives a request already gone no turn, even when one is free', async () => {
    const queue = new TurnQueue(1);
    const gone = fakeGone();
    gone.leave();
    expect(await queue.acquire(gone)).toBeUndefined();
    expect(queue.inUse).toBe(0);
  });
});
