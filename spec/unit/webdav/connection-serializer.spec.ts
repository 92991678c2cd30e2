import { ConnectionSerializer } from '../../../src/webdav/connection-serializer';

describe('ConnectionSerializer', () => {
  it('starts each task only after the previous one settled, even if it failed', async () => {
    const serializer = new ConnectionSerializer();
    const events: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const first = serializer.run(
      () =>
        new Promise<void>((resolve) => {
          events.push('first started');
          releaseFirst = () => {
            events.push('first done');
            resolve();
          };
        }),
    );
    const second = serializer.run(async () => {
      events.push('second started');
      throw new Error('second failed');
    });
    const third = serializer.run(async () => {
      events.push('third started');
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['first started']);
    releaseFirst();
    await first;
    await expect(second).rejects.toThrow('second failed');
    await third;
    expect(events).toEqual(['first started', 'first done', 'second started', 'third started']);
  });
});
