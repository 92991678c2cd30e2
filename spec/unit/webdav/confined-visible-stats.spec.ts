// confinedVisibleStats, the one way the engine reads the stats a guest is shown of a named resource or a listed
// link: with /proc (the kernel names the descriptor reached) and without (the path resolved, then checked).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const withoutProc = { value: false };
jest.mock('../../../src/webdav/opened-within', () => {
  const actual: typeof import('../../../src/webdav/opened-within') = jest.requireActual(
    '../../../src/webdav/opened-within',
  );
  return { ...actual, procFdsAvailable: () => !withoutProc.value && actual.procFdsAvailable() };
});

import { poolFileCalls } from '../../../src/webdav/file-calls';
import { confinedVisibleStats } from '../../../src/webdav/visibility';

describe.each([
  ['with /proc', false],
  ['without /proc', true],
])('confinedVisibleStats %s', (_name, noProc) => {
  let work: string;
  let root: string;
  beforeAll(() => {
    withoutProc.value = noProc;
    work = realpathSync(mkdtempSync(join(tmpdir(), 'spice-webdav-confined-')));
    root = join(work, 'share');
    mkdirSync(join(root, 'folder'), { recursive: true });
    writeFileSync(join(root, 'a.txt'), 'twelve bytes');
    writeFileSync(join(work, 'outside.txt'), 'a secret outside the share');
    symlinkSync(join(root, 'a.txt'), join(root, 'inside-link'));
    symlinkSync(join(work, 'outside.txt'), join(root, 'outside-link'));
    symlinkSync(join(root, 'nowhere'), join(root, 'dangling'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
  });
  afterAll(() => {
    withoutProc.value = false;
    rmSync(work, { recursive: true, force: true });
  });

  const stats = (name: string) => confinedVisibleStats(root, join(root, name), poolFileCalls);

  it('gives the stats of a file, a folder and a link inside the share', async () => {
    expect((await stats('a.txt'))?.size).toBe(12);
    expect((await stats('folder'))?.isDirectory()).toBe(true);
    expect((await stats('inside-link'))?.size).toBe(12);
  });

  it('gives none for a link that leads outside, a dangling link, a FIFO or a name that is gone', async () => {
    expect(await stats('outside-link')).toBeUndefined();
    expect(await stats('dangling')).toBeUndefined();
    expect(await stats('fifo')).toBeUndefined();
    expect(await stats('missing')).toBeUndefined();
  });
});
