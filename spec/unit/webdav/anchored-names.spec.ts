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
import { atName, atNameSync, FOLDER_SWAPPED, inCheckedFolder } from '../../../src/webdav/anchored-names';
import { directFileCalls, poolFileCalls, type FileCalls } from '../../../src/webdav/file-calls';
import { copyFileIfSame } from '../../../src/webdav/methods/copy-file-if-same';
import { fileSystemRefusal } from '../../../src/webdav/methods/file-system-refusal';
import { loopTreeCalls, poolTreeCalls, removeTree, type TreeCalls } from '../../../src/webdav/remove-tree';
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
    // Both names in the one swapped folder (an upload's temp file and its target): one open, still checked.
    await expect(
      calls.rename(inShare('swapped', 'victim.txt'), inShare('swapped', 'moved.txt')),
    ).rejects.toMatchObject(swappedFolder);
    expect(readFileSync(outside('victim.txt'), 'utf8')).toBe('outside');
    expect(readFileSync(outside('sub', 'victim.txt'), 'utf8')).toBe('outside');
    expect(existsSync(inShare('taken.txt'))).toBe(false);
    expect(existsSync(outside('moved.txt'))).toBe(false);
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

  it('answers a file on the way with its own error (ENOTDIR), not a fault that ends the process', async () => {
    await expect(calls.create(inShare('mine.txt', 'x', 'y'), 0o666)).rejects.toMatchObject({
      code: 'ENOTDIR',
    });
    await expect(calls.unlink(inShare('mine.txt', 'x'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('refuses a path longer than the host allows, as a call by that path would (414)', async () => {
    const deep = inShare('a'.repeat(200));
    mkdirSync(deep);
    const tooLong = path.join(deep, 'b'.repeat(4096 - deep.length));
    await expect(calls.create(tooLong, 0o666)).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
    await expect(calls.rename(inShare('mine.txt'), tooLong)).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
    expect(readdirSync(deep)).toEqual([]);
  });

  it('changes names in a folder it may write but not list (a drop box)', async () => {
    mkdirSync(inShare('drop'));
    writeFileSync(inShare('drop', 'old.txt'), 'old');
    chmodSync(inShare('drop'), 0o333);
    // Root may list any folder: the specs run as root in CI, so the calls are made as nobody there.
    const asNobody = process.geteuid?.() === 0;
    if (asNobody) {
      chmodSync(sandbox.base, 0o755);
      chmodSync(sandbox.share, 0o755);
      process.setegid?.(65534);
      process.seteuid?.(65534);
    }
    try {
      expect(() => readdirSync(inShare('drop'))).toThrow(expect.objectContaining({ code: 'EACCES' }));
      closeSync(await calls.create(inShare('drop', 'new.txt'), 0o644));
      await calls.rename(inShare('drop', 'new.txt'), inShare('drop', 'renamed.txt'));
      await calls.unlink(inShare('drop', 'old.txt'));
    } finally {
      if (asNobody) {
        process.seteuid?.(0);
        process.setegid?.(0);
      }
      chmodSync(inShare('drop'), 0o755);
    }
    expect(readdirSync(inShare('drop'))).toEqual(['renamed.txt']);
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

describe.each([
  ['on the event loop', loopTreeCalls],
  ['through the thread pool', poolTreeCalls],
] as Array<[string, TreeCalls]>)(
  'removeTree %s against a host that swaps folders while it runs',
  (_, calls) => {
    it('refuses a tree whose folder is reached through a link', async () => {
      mkdirSync(outside('tree'));
      writeFileSync(outside('tree', 'victim.txt'), 'outside');
      swapInLink();
      await expect(removeTree(inShare('swapped', 'tree'), calls)).rejects.toMatchObject(swappedFolder);
      expect(readdirSync(outside('tree'))).toEqual(['victim.txt']);
    });

    it('never removes beyond a folder swapped for a link mid-removal, and stops where the folder went', async () => {
      // A folder of files, and outside a folder of files of the same names.
      const count = 40;
      mkdirSync(inShare('tree', 'sub'), { recursive: true });
      mkdirSync(outside('twin'));
      for (let i = 0; i < count; i++) {
        writeFileSync(inShare('tree', 'sub', `f${i}`), 'in');
        writeFileSync(outside('twin', `f${i}`), 'outside');
      }
      writeFileSync(inShare('tree', 'after.txt'), 'in');
      // The host swaps `sub` for a link to the outside twin once the removal has unlinked 10 of its files.
      let unlinked = 0;
      const racing: TreeCalls = {
        ...calls,
        unlink: (entry) => {
          if (++unlinked === 11) {
            renameSync(inShare('tree', 'sub'), inShare('moved-away'));
            symlinkSync(outside('twin'), inShare('tree', 'sub'));
          }
          return calls.unlink(entry);
        },
      };
      await expect(removeTree(inShare('tree'), racing)).rejects.toMatchObject(swappedFolder);
      expect(unlinked).toBeGreaterThan(11);
      expect(readdirSync(outside('twin'))).toHaveLength(count);
      // What it removed, it removed in the folder it held open, wherever the host moved that.
      expect(readdirSync(inShare('moved-away'))).toEqual([]);
    });
  },
);

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
