// The bench's child-process wrapper: counting a client's output lines (hotpath --jit counts V8's trace lines
// per transfer with it), including lines that arrive split across pipe reads.

import {
  ClientProcess,
  nodePlatformThreadCount,
  nodeThreadKind,
  type ClientSpec,
} from '../../../bench/client-process';

/** Runs `use` with a client started from `spec`, and stops the client whatever `use` does. */
async function withClient(spec: ClientSpec, use: (client: ClientProcess) => Promise<void>): Promise<void> {
  const client = new ClientProcess(spec);
  try {
    await use(client);
  } finally {
    await client.stop();
  }
}

/** Yields to the event loop until `done()` holds (jest's timeout ends the wait if it never does). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

describe('ClientProcess.countOutputLines', () => {
  it('counts the matching lines of standard output, whole lines only, however the pipe splits them', async () => {
    // Writes a line in two pieces with a pause between them, then an end marker, and stays alive until stopped.
    const script = [
      "process.stdout.write('[completed optimizing f]\\nother line\\n[completed opti');",
      "setTimeout(() => process.stdout.write('mizing g]\\n[completed optimizing h] not at the end\\nend\\n'), 50);",
      'setInterval(() => undefined, 1000);',
    ].join('\n');
    await withClient({ name: 'lines', command: process.execPath, args: ['-e', script] }, async (client) => {
      const optimized = client.countOutputLines(/^\[completed optimizing /);
      const ends = client.countOutputLines(/^end$/);
      await until(() => ends() === 1);
      expect(ends()).toBe(1);
      expect(optimized()).toBe(3);
    });
  });
});

describe('nodeThreadKind', () => {
  it('names the main thread by its id, then the platform threads in start order, then the pool', () => {
    const kinds = nodeThreadKind(100, [109, 100, 103, 101, 102, 104], 3);
    expect([...kinds.entries()]).toEqual([
      [100, 'main'],
      [101, 'v8'],
      [102, 'v8'],
      [103, 'v8'],
      [104, 'pool'],
      [109, 'pool'],
    ]);
  });
});

describe('ClientProcess.beginMeasure for a Node client', () => {
  it("puts work done on libuv's pool under the pool, not V8's threads or the main thread", async () => {
    // pbkdf2's callback form runs on libuv's pool: about a tenth of a second of one pool thread's CPU.
    const script = [
      "const { pbkdf2 } = require('node:crypto');",
      "process.once('SIGUSR2', () => pbkdf2('x', 'y', 300000, 32, 'sha256', () => console.log('hashed')));",
      'setInterval(() => undefined, 1000);',
      "console.log('ready');",
    ].join('\n');
    const spec = {
      name: 'pool',
      command: process.execPath,
      args: ['-e', script],
      nodePlatformThreads: nodePlatformThreadCount([]),
    };
    await withClient(spec, async (client) => {
      const ready = client.countOutputLines(/^ready$/);
      const hashed = client.countOutputLines(/^hashed$/);
      await until(() => ready() === 1);
      const end = client.beginMeasure();
      process.kill(client.pid, 'SIGUSR2');
      await until(() => hashed() === 1);
      const use = end();
      const helpers = use.helperThreads;
      if (helpers === undefined) throw new Error('no thread split for a Node client');
      expect(helpers.poolCpuSeconds).toBeGreaterThan(0.02);
      expect(helpers.poolCpuSeconds).toBeGreaterThan(helpers.v8CpuSeconds);
      expect(helpers.poolCpuSeconds).toBeGreaterThan(use.mainThreadCpuSeconds);
      expect(use.mainThreadCpuSeconds + helpers.v8CpuSeconds + helpers.poolCpuSeconds).toBeCloseTo(
        use.cpuSeconds,
        5,
      );
    });
  });
});
