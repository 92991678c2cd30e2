import {
  chmodSync,
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import * as path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { atName, atNameSync, FOLDER_SWAPPED, inCheckedFolder } from '../../../src/webdav/anchored-names';
import { directFileCalls, poolFileCalls, type FileCalls } from '../../../src/webdav/file-calls';
import { copyFileIfSame } from '../../../src/webdav/methods/copy-file-if-same';
import { fileSystemRefusal } from '../../../src/webdav/methods/file-system-refusal';
import { CALLS_PER_TURN, removeTree } from '../../../src/webdav/remove-tree';
import { makeSandbox, type Sandbox } from './support/temp-share';

// The host race these guard against (a reviewer's, session 28): the engine resolves a path under the namespace
// lock, then a program on the host swaps a folder on that path for a link to a folder outside the share, then
// the engine renames, removes or creates by the path, and changes the outside folder. Each spec below makes
// the swap first, deterministically, then makes the call with the path the engine had resolved.

let sandbox: Sandbox;
const inShare = (...names: string[]) => path.join(sandbox.share, ...names);
const outside = (...names: string[]) => path.join(sandbox.outside, ...names);

beforeEach(() => {
  sandbox = makeSandbox();
  mkdirSync(outside('sub'));
  writeFileSync(outside('sub', 'victim.txt'), 'outside');
  writeFileSync(outside('victim.txt'), 'outside');
});
afterEach(() => sandbox.remove());

/** The share's folder `swapped` replaced by a link to the outside folder, as the host's race leaves it. */
function swapInLink(): void {
  symlinkSync(sandbox.outside, inShare('swapped'));
}

const swappedFolder = { code: FOLDER_SWAPPED };

describe.each([
  ['through the thread pool', poolFileCalls],
  ['on the event loop', directFileCalls],
] as Array<[string, FileCalls]>)('file calls %s', (_, calls) => {
  beforeEach(() => {
    writeFileSync(inShare('mine.txt'), 'mine');
    swapInLink();
  });

  it('rename refuses a destination or source beyond a swapped folder, at the last folder or one before', async () => {
    await expect(calls.rename(inShare('mine.txt'), inShare('swapped', 'victim.txt'))).rejects.toMatchObject(
      swappedFolder,
    );
    await expect(
      calls.rename(inShare('mine.txt'), inShare('swapped', 'sub', 'victim.txt')),
    ).rejects.toMatchObject(swappedFolder);
    await expect(calls.rename(inShare('swapped', 'victim.txt'), inShare('taken.txt'))).rejects.toMatchObject(
      swappedFolder,
    );
    expect(readFileSync(outside('victim.txt'), 'utf8')).toBe('outside');
    expect(readFileSync(outside('sub', 'victim.txt'), 'utf8')).toBe('outside');
    expect(existsSync(inShare('taken.txt'))).toBe(false);
  });

  it('unlink, create and removeFolder refuse a name beyond a swapped folder', async () => {
    await expect(calls.unlink(inShare('swapped', 'victim.txt'))).rejects.toMatchObject(swappedFolder);
    await expect(calls.unlink(inShare('swapped', 'sub', 'victim.txt'))).rejects.toMatchObject(swappedFolder);
    await expect(calls.create(inShare('swapped', 'planted.txt'), 0o666)).rejects.toMatchObject(swappedFolder);
    await expect(calls.removeFolder(inShare('swapped', 'sub'))).rejects.toMatchObject(swappedFolder);
    expect(readdirSync(sandbox.outside).sort()).toEqual(['sub', 'victim.txt']);
    expect(readdirSync(outside('sub'))).toEqual(['victim.txt']);
  });

  it('renames, unlinks and creates in the share as before', async () => {
    mkdirSync(inShare('folder'));
    await calls.rename(inShare('mine.txt'), inShare('folder', 'moved.txt'));
    expect(readFileSync(inShare('folder', 'moved.txt'), 'utf8')).toBe('mine');
    const fd = await calls.create(inShare('folder', 'new.txt'), 0o644);
    closeSync(fd);
    await expect(calls.create(inShare('folder', 'new.txt'), 0o644)).rejects.toMatchObject({ code: 'EEXIST' });
    await calls.unlink(inShare('folder', 'moved.txt'));
    expect(readdirSync(inShare('folder'))).toEqual(['new.txt']);
  });

  it('keeps the errors of a missing folder (409 "create it first"), and a removal of one gone is done', async () => {
    await expect(calls.create(inShare('nowhere', 'a.txt'), 0o666)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(calls.removeFolder(inShare('nowhere', 'gone'))).resolves.toBeUndefined();
  });
});

describe('atName and inCheckedFolder', () => {
  it('make a folder or list one only where the path still leads', async () => {
    mkdirSync(inShare('real'));
    swapInLink();
    await expect(
      atName(inShare('swapped', 'made'), (at) => Promise.resolve(mkdirSync(at))),
    ).rejects.toMatchObject(swappedFolder);
    expect(() => atNameSync(inShare('swapped', 'sub', 'made'), (at) => mkdirSync(at))).toThrow(
      expect.objectContaining(swappedFolder),
    );
    await expect(
      inCheckedFolder(Buffer.from(inShare('swapped', 'sub')), (here) => Promise.resolve(readdirSync(here))),
    ).rejects.toMatchObject(swappedFolder);
    expect(existsSync(outside('made'))).toBe(false);
    expect(existsSync(outside('sub', 'made'))).toBe(false);

    await atName(inShare('real', 'made'), (at) => Promise.resolve(mkdirSync(at)));
    expect(
      await inCheckedFolder(Buffer.from(inShare('real')), (here) => Promise.resolve(readdirSync(here))),
    ).toEqual(['made']);
  });

  it('is answered 409 with what to do', () => {
    const error = Object.assign(new Error('swapped'), { code: FOLDER_SWAPPED });
    expect(fileSystemRefusal(error)).toEqual({
      status: 409,
      message: expect.stringMatching(/on the host.*Try again/),
    });
  });
});

describe('removeTree against a host that swaps folders while it runs', () => {
  it('refuses a tree whose folder is reached through a link', async () => {
    mkdirSync(outside('tree'));
    writeFileSync(outside('tree', 'victim.txt'), 'outside');
    swapInLink();
    await expect(removeTree(inShare('swapped', 'tree'))).rejects.toMatchObject(swappedFolder);
    expect(readdirSync(outside('tree'))).toEqual(['victim.txt']);
  });

  it('never removes beyond a folder swapped for a link mid-removal, and stops where the folder went', async () => {
    // A folder of more files than one turn removes, and outside a folder of files of the same names.
    const count = CALLS_PER_TURN * 3;
    mkdirSync(inShare('tree', 'sub'), { recursive: true });
    mkdirSync(outside('twin'));
    for (let i = 0; i < count; i++) {
      writeFileSync(inShare('tree', 'sub', `f${i}`), 'in');
      writeFileSync(outside('twin', `f${i}`), 'outside');
    }
    writeFileSync(inShare('tree', 'after.txt'), 'in');

    const removal = removeTree(inShare('tree'));
    const settled = removal.then(
      () => 'resolved',
      (error: NodeJS.ErrnoException) => error.code,
    );
    // Wait, turn by turn, until the removal is inside `sub` (some of its files gone), then swap `sub` for a link
    // to the outside twin, as the host's race would, and let the removal go on.
    while (readdirSync(inShare('tree', 'sub')).length === count) await nextTurn();
    expect(readdirSync(inShare('tree', 'sub')).length).toBeGreaterThan(0);
    renameSync(inShare('tree', 'sub'), inShare('moved-away'));
    symlinkSync(outside('twin'), inShare('tree', 'sub'));

    expect(await settled).toBe(FOLDER_SWAPPED);
    expect(readdirSync(outside('twin'))).toHaveLength(count);
    // What it removed, it removed in the folder it held open, wherever the host moved that.
    expect(readdirSync(inShare('moved-away'))).toEqual([]);
  });
});

describe('the copy a COPY makes', () => {
  it('takes the source permission bits (through a descriptor), not its setuid bit', async () => {
    writeFileSync(inShare('source.txt'), 'data');
    chmodSync(inShare('source.txt'), 0o4750);
    const source = Buffer.from(inShare('source.txt'));
    await expect(copyFileIfSame(source, inShare('copy.txt'), lstatSync(source), sandbox.share)).resolves.toBe(
      true,
    );
    expect(statSync(inShare('copy.txt')).mode & 0o7777).toBe(0o750);
  });
});
