import { LeavableQueue } from '../../../src/webdav/leavable-queue';

describe('LeavableQueue', () => {
  it('serves in arrival order, skipping items that left; an item taken can no longer leave', () => {
    const queue = new LeavableQueue<string>();
    const leaveA = queue.add('a');
    const leaveB = queue.add('b');
    queue.add('c');
    expect(leaveA()).toBe(true);
    expect(leaveA()).toBe(false); // leaving twice counts once
    expect(queue.size).toBe(2);
    expect(queue.peek()).toBe('b');
    expect(queue.take()).toBe('b');
    expect(leaveB()).toBe(false);
    expect(queue.take()).toBe('c');
    expect(queue.take()).toBeUndefined();
    expect(queue.size).toBe(0);
  });

  it('keeps its line short when most of it leaves, in any order', () => {
    const queue = new LeavableQueue<number>();
    const leaves = Array.from({ length: 10_000 }, (_, i) => queue.add(i));
    for (let i = leaves.length - 1; i > 0; i -= 2) leaves[i]?.();
    for (let i = 2; i < leaves.length; i += 2) leaves[i]?.();
    expect(queue.size).toBe(1);
    expect(queue.take()).toBe(0);
    expect(queue.peek()).toBeUndefined();
  });
});
