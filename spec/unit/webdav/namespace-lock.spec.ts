import { NamespaceLock } from '../../../src/webdav/namespace-lock';
import { fakeGone } from './support/fake-gone';

/** A task that records when it runs and finishes only when told to. */
function gate(log: string[], name: string) {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    task: async () => {
      log.push(`start ${name}`);
      await opened;
      log.push(`end ${name}`);
    },
    open: () => open(),
  };
}

/** Lets every queued promise callback run (no timers). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('the namespace lock', () => {
  it('lets readers share, keeps a writer alone, and serves waiters in arrival order', async () => {
    const lock = new NamespaceLock();
    const log: string[] = [];
    const [r1, r2, w, r3] = ['r1', 'r2', 'w', 'r3'].map((name) => gate(log, name));
    const done = [
      lock.shared(r1!.task),
      lock.shared(r2!.task),
      lock.exclusive(w!.task),
      lock.shared(r3!.task),
    ];
    await settle();
    expect(log).toEqual(['start r1', 'start r2']); // the writer waits, and r3 waits behind it
    r1!.open();
    await settle();
    expect(log).toEqual(['start r1', 'start r2', 'end r1']);
    r2!.open();
    await settle();
    expect(log.slice(3)).toEqual(['end r2', 'start w']);
    w!.open();
    await settle();
    expect(log.slice(5)).toEqual(['end w', 'start r3']);
    r3!.open();
    await Promise.all(done);
  });

  it('releases the lock when a task fails', async () => {
    const lock = new NamespaceLock();
    await expect(lock.exclusive(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(
      lock.exclusive(() => {
        throw new Error('sync boom');
      }),
    ).rejects.toThrow('sync boom');
    await expect(lock.exclusive(() => Promise.resolve('free'))).resolves.toBe('free');
  });

  it('drops a waiter whose request is gone: its task never runs, and the waiters behind it move up', async () => {
    const lock = new NamespaceLock();
    const log: string[] = [];
    const [holder, abandoned, reader] = ['holder', 'abandoned', 'reader'].map((name) => gate(log, name));
    const gone = fakeGone();
    const held = lock.shared(holder!.task);
    // An exclusive waiter blocks the reader behind it until it gives up.
    const dropped = lock.exclusive(abandoned!.task, gone);
    const read = lock.shared(reader!.task);
    await settle();
    expect(lock.waiting).toBe(2);
    expect(gone.listeners).toBe(1);

    gone.leave();
    expect(await dropped).toBeUndefined();
    await settle();
    expect(log).toEqual(['start holder', 'start reader']);
    holder!.open();
    reader!.open();
    await Promise.all([held, read]);
    expect(lock.waiting).toBe(0);
    expect(log).not.toContain('start abandoned');
  });

  it('runs at once, without listening, when the lock is free; a request already gone never runs', async () => {
    const lock = new NamespaceLock();
    const gone = fakeGone();
    expect(await lock.exclusive(async () => 'ran', gone)).toBe('ran');
    expect(gone.listeners).toBe(0);
    gone.leave();
    expect(await lock.shared(async () => 'ran', gone)).toBeUndefined();
  });

  it('stays linear when thousands of waiters give up in any order', async () => {
    const lock = new NamespaceLock();
    const log: string[] = [];
    const holder = gate(log, 'holder');
    const held = lock.exclusive(holder.task);
    const waiters = Array.from({ length: 20_000 }, () => fakeGone());
    const results = waiters.map((gone) => lock.shared(async () => 'ran', gone));
    await settle();
    // Every other one from the end, then the rest: the queue is compacted as they go.
    for (let i = waiters.length - 1; i >= 0; i -= 2) waiters[i]!.leave();
    expect(lock.waiting).toBe(10_000);
    for (let i = 0; i < waiters.length; i += 2) waiters[i]!.leave();
    expect(lock.waiting).toBe(0);
    holder.open();
    await held;
    expect(new Set(await Promise.all(results))).toEqual(new Set([undefined]));
  });
});
