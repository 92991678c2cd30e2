import { spawnSync } from 'node:child_process';
import { askLibrary, davCapabilities, FALLBACK_CAPABILITIES } from '../../../src/webdav/dav-capabilities';
import { PROBE_DEADLINE_EXIT, probeInProcess, withDeadline } from '../../../src/webdav/process-probe';

/** A probe that prints `value` as its answer. */
const printing = (value: unknown) =>
  `process.stdout.write(${JSON.stringify(JSON.stringify(value))} + '\\n');`;

describe('davCapabilities', () => {
  it("is webdav-server's own answer: compliance classes 1 and 2, MS-Author-Via DAV", async () => {
    const capabilities = await davCapabilities();
    // The library's own spelling; the fallback's is '1, 2'.
    expect(capabilities).toEqual({ dav: '1,2', msAuthorVia: 'DAV' });
  });

  it('asks in a process of its own: this one never turns on domains (and their async hooks)', async () => {
    await davCapabilities();
    expect(Reflect.get(process, 'domain')).toBeFalsy();
    // A program that embeds us may own the uncaught-exception capture; domains would make this throw.
    process.setUncaughtExceptionCaptureCallback(() => undefined);
    process.setUncaughtExceptionCaptureCallback(null);
  });

  it('keeps only headers that look like what they are', async () => {
    expect(await askLibrary(printing({ dav: '1\r\nX-Evil: 1', msAuthorVia: 'A B' }), 10_000)).toEqual(
      FALLBACK_CAPABILITIES,
    );
    expect(await askLibrary(printing({ dav: '1\r\n2', msAuthorVia: 'D'.repeat(99) }), 10_000)).toEqual(
      FALLBACK_CAPABILITIES,
    );
    expect(await askLibrary(printing({ dav: '1, 2, 3', msAuthorVia: 'DAV' }), 10_000)).toEqual({
      dav: '1, 2, 3',
      msAuthorVia: 'DAV',
    });
  });
});

describe('probeInProcess', () => {
  it('gives the JSON line the probe prints, and hands it its arguments', async () => {
    const echo = `process.stdout.write(JSON.stringify({ got: process.argv.slice(1) }) + '\\n');`;
    expect(await probeInProcess(echo, ['a b', '--x'], 10_000)).toEqual({ got: ['a b', '--x'] });
  });

  it('falls back when the library throws later, from a callback, or at once, or exits failing', async () => {
    expect(
      await probeInProcess(`setImmediate(() => { throw new Error('late'); });`, [], 10_000),
    ).toBeUndefined();
    expect(await probeInProcess(`throw new Error('at once');`, [], 10_000)).toBeUndefined();
    expect(
      await probeInProcess(`${printing({ dav: '1' })} process.exitCode = 3;`, [], 10_000),
    ).toBeUndefined();
  });

  it('falls back on an answer that is not JSON, or too long', async () => {
    expect(await probeInProcess(`process.stdout.write('DAV: 1\\n');`, [], 10_000)).toBeUndefined();
    expect(
      await probeInProcess(`process.stdout.write('"' + 'x'.repeat(1e6) + '"');`, [], 10_000),
    ).toBeUndefined();
  });

  it('falls back when the library stays silent past the budget, and kills it', async () => {
    const started = Date.now();
    expect(await probeInProcess(`setInterval(() => undefined, 1000);`, [], 300)).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('ends itself at its deadline, so a hung probe outlives no client that exited before killing it', () => {
    const hung = spawnSync(
      process.execPath,
      ['-e', withDeadline('setInterval(() => undefined, 1000);', 300)],
      {
        timeout: 20_000,
      },
    );
    expect([hung.status, hung.signal]).toEqual([PROBE_DEADLINE_EXIT, null]);
  });

  it('falls back when the library outgrows its heap', async () => {
    const hog = `const keep = []; for (;;) keep.push(new Array(1e5).fill({}));`;
    expect(await probeInProcess(hog, [], 30_000)).toBeUndefined();
  });
});
