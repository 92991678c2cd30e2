import { NamespaceLock } from '../../../src/webdav/namespace-lock';

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
});
