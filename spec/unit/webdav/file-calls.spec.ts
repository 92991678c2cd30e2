import { existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { directFileCalls, poolFileCalls, writeAll, type FileCalls } from '../../../src/webdav/file-calls';
import { makeSandbox, type Sandbox } from './support/temp-share';

// The two forms must answer alike, errors included: callers are written once for both.
describe.each([
  ['through the thread pool', poolFileCalls],
  ['on the event loop', directFileCalls],
] as Array<[string, FileCalls]>)('file calls %s', (_, calls) => {
  let sandbox: Sandbox;
  const inShare = (name: string) => path.join(sandbox.share, name);

  beforeEach(() => {
    sandbox = makeSandbox();
    writeFileSync(inShare('file.txt'), 'content');
    symlinkSync(inShare('nowhere'), inShare('dangling'));
  });
  afterEach(() => sandbox.remove());

  it('lstat: the entry, or undefined for a missing name and for a name under a file', async () => {
    expect((await calls.lstat(inShare('file.txt')))?.size).toBe(7);
    expect((await calls.lstat(inShare('dangling')))?.isSymbolicLink()).toBe(true);
    await expect(calls.lstat(inShare('missing'))).resolves.toBeUndefined();
    await expect(calls.lstat(inShare('file.txt/under'))).resolves.toBeUndefined();
  });

  it('realpath: found or missing (a dangling link too); isPresent sees the dangling link', async () => {
    await expect(calls.realpath(inShare('file.txt'))).resolves.toEqual({
      kind: 'found',
      path: inShare('file.txt'),
    });
    await expect(calls.realpath(inShare('dangling'))).resolves.toEqual({ kind: 'missing' });
    await expect(calls.isPresent(inShare('dangling'))).resolves.toBe(true);
    await expect(calls.isPresent(inShare('file.txt/under'))).resolves.toBe(false);
  });

  it('isWritable: true for a file this process may write; a missing one is an error, not a no', async () => {
    await expect(calls.isWritable(inShare('file.txt'))).resolves.toBe(true);
    await expect(calls.isWritable(inShare('missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('open, fstat, read and close a file', async () => {
    const fd = await calls.open(inShare('file.txt'), 'r');
    try {
      expect((await calls.fstat(fd)).size).toBe(7);
      const buffer = Buffer.alloc(4);
      await expect(calls.read(fd, buffer, 4, 3)).resolves.toBe(4);
      expect(buffer.toString()).toBe('tent');
    } finally {
      await calls.close(fd);
    }
  });

  it('create exclusively, write all, chmod, rename and unlink', async () => {
    const fd = await calls.open(inShare('new.tmp'), 'wx', 0o600);
    await writeAll(calls, fd, Buffer.from('written'));
    await calls.fchmod(fd, 0o640);
    await calls.close(fd);
    await calls.rename(inShare('new.tmp'), inShare('new.txt'));

    expect(readFileSync(inShare('new.txt'), 'utf8')).toBe('written');
    expect(statSync(inShare('new.txt')).mode & 0o777).toBe(0o640);
    await calls.unlink(inShare('new.txt'));
    expect(existsSync(inShare('new.txt'))).toBe(false);
  });

  it('failures reject the promise (never throw where the call is made), with the error code', async () => {
    const failures = [
      () => calls.open(inShare('file.txt'), 'wx', 0o600),
      () => calls.open(inShare('missing/file'), 'r'),
      () => calls.fstat(1_000_000), // no such descriptor
      () => calls.close(1_000_000),
      () => calls.rename(inShare('missing'), inShare('other')),
      () => calls.unlink(inShare('missing')),
    ];
    const codes: string[] = [];
    for (const failure of failures) {
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = failure();
      }).not.toThrow();
      codes.push(
        await (promise as Promise<unknown>).then(
          () => 'resolved',
          (error: NodeJS.ErrnoException) => error.code ?? '?',
        ),
      );
    }
    expect(codes).toEqual(['EEXIST', 'ENOENT', 'EBADF', 'EBADF', 'ENOENT', 'ENOENT']);
  });
});
