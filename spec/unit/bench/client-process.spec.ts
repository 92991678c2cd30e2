// The bench's child-process wrapper: counting a client's output lines (hotpath --jit counts V8's trace lines
// per transfer with it), including lines that arrive split across pipe reads.

import { ClientProcess } from '../../../bench/client-process';

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
    const client = new ClientProcess({ name: 'lines', command: process.execPath, args: ['-e', script] });
    try {
      const optimized = client.countOutputLines(/^\[completed optimizing /);
      const ends = client.countOutputLines(/^end$/);
      await until(() => ends() === 1);
      expect(ends()).toBe(1);
      expect(optimized()).toBe(3);
    } finally {
      await client.stop();
    }
  });
});
