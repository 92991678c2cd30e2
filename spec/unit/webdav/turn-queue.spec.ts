import { TurnQueue } from '../../../src/webdav/turn-queue';

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
});
