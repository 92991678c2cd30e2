import { askLibrary, davCapabilities, FALLBACK_CAPABILITIES } from '../../../src/webdav/dav-capabilities';
import { probeInWorker } from '../../../src/webdav/worker-probe';

describe('davCapabilities', () => {
  it("is webdav-server's own answer: compliance classes 1 and 2, MS-Author-Via DAV", async () => {
    const capabilities = await davCapabilities();
    expect(capabilities.dav.split(',').map((c) => c.trim())).toEqual(expect.arrayContaining(['1', '2']));
    expect(capabilities.msAuthorVia).toBe('DAV');
  });

  it('asks in a thread of its own: the process never turns on domains (and their async hooks)', async () => {
    await davCapabilities();
    expect(process.domain).toBeFalsy();
    // A program that embeds us may own the uncaught-exception capture; domains would make this throw.
    process.setUncaughtExceptionCaptureCallback(() => undefined);
    process.setUncaughtExceptionCaptureCallback(null);
  });

  it('keeps only headers that look like what they are', async () => {
    const probe = `require('node:worker_threads').parentPort.postMessage({ dav: '1\\r\\nX-Evil: 1', msAuthorVia: 'A B' });`;
    expect(await askLibrary(probe, 5_000)).toEqual(FALLBACK_CAPABILITIES);
    const broken = `require('node:worker_threads').parentPort.postMessage({ dav: '1\\r\\n2', msAuthorVia: 'D'.repeat(99) });`;
    expect(await askLibrary(broken, 5_000)).toEqual(FALLBACK_CAPABILITIES);
    const fine = `require('node:worker_threads').parentPort.postMessage({ dav: '1, 2, 3', msAuthorVia: 'DAV' });`;
    expect(await askLibrary(fine, 5_000)).toEqual({ dav: '1, 2, 3', msAuthorVia: 'DAV' });
  });
});

describe('probeInWorker', () => {
  it('falls back when the library throws later, from a callback, and the process goes on', async () => {
    expect(
      await probeInWorker(`setImmediate(() => { throw new Error('late'); });`, {}, 5_000),
    ).toBeUndefined();
  });

  it('falls back when the library throws at once, or exits without answering', async () => {
    expect(await probeInWorker(`throw new Error('at once');`, {}, 5_000)).toBeUndefined();
    expect(await probeInWorker(`process.exit(3);`, {}, 5_000)).toBeUndefined();
  });

  it('falls back when the library stays silent past the budget, and ends its thread', async () => {
    const answer = await probeInWorker(`setInterval(() => undefined, 1000);`, {}, 50);
    expect(answer).toBeUndefined();
  });

  it('falls back when the library outgrows its heap', async () => {
    const hog = `const keep = []; for (;;) keep.push(new Array(1e5).fill({}));`;
    expect(await probeInWorker(hog, {}, 20_000)).toBeUndefined();
  });

  it('gives what the probe posts first, and hands it data', async () => {
    const echo = `const { parentPort, workerData } = require('node:worker_threads'); parentPort.postMessage(workerData.n + 1); parentPort.postMessage(0);`;
    expect(await probeInWorker(echo, { n: 41 }, 5_000)).toBe(42);
  });
});
