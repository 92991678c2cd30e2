import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import * as path from 'node:path';
import { copyEntry } from '../../../../src/webdav/methods/copy';
import { deleteEntry } from '../../../../src/webdav/methods/delete';
import { makeFolder } from '../../../../src/webdav/methods/mkcol';
import { moveEntry } from '../../../../src/webdav/methods/move';
import type { Location } from '../../../../src/webdav/path-confinement';
import { openListedFolder } from '../../../../src/webdav/folder-children';
import { readFolderIndex } from '../../../../src/webdav/folder-index';
import { ShareNamespace } from '../../../../src/webdav/share-namespace';
import { visibleStats } from '../../../../src/webdav/visibility';
import { tempFilesBelow } from '../support/temp-files';
import { makeSandbox, writeFiles, type Sandbox } from '../support/temp-share';

// A program on the host swaps the share's folder `d` for a link to a folder outside the share right after the
// engine looked a name up in it (the reviewer's race of session 28, made deterministic: the swap happens in the
// lookup's place, once). Whatever the method does next must neither change the outside folder nor bring
// anything of it into the share, and must answer a status, not fail (500).

let sandbox: Sandbox;
let share: string;
const outside = (...names: string[]) => path.join(sandbox.outside, ...names);

/** The namespace, with the host's swap made after the `after`-th lookup returns. */
class SwappedAfterLookup extends ShareNamespace {
  private lookups = 0;

  constructor(
    rootReal: string,
    private readonly after: number,
  ) {
    super(rootReal);
  }

  override async locate(segments: readonly string[]): Promise<Location> {
    const location = await super.locate(segments);
    if (++this.lookups === this.after) {
      renameSync(path.join(share, 'd'), path.join(share, 'd-moved'));
      symlinkSync(sandbox.outside, path.join(share, 'd'));
    }
    return location;
  }
}

/** The host swaps the folder back, for the next round. */
function unswap(): void {
  unlinkSync(path.join(share, 'd'));
  renameSync(path.join(share, 'd-moved'), path.join(share, 'd'));
}

const outsideSnapshot = () =>
  Object.fromEntries(
    readdirSync(sandbox.outside, { recursive: true, encoding: 'utf8' }).map((name) => [
      name,
      existsSync(outside(name)) && !name.endsWith('sub') ? readFileSync(outside(name), 'utf8') : 'folder',
    ]),
  );

beforeEach(async () => {
  sandbox = makeSandbox();
  share = realpathSync(sandbox.share);
  await writeFiles(share, { 'd/a.txt': 'inside', 'd/sub/b.txt': 'inside' });
  await writeFiles(sandbox.outside, { 'a.txt': 'OUTSIDE', 'sub/b.txt': 'OUTSIDE' });
});
afterEach(() => sandbox.remove());

const limits = { maxEntries: 1000, maxBytes: 1e9, cancelled: () => false };

describe('a folder swapped for a link to outside between lookup and change', () => {
  it('MOVE out of it: 409, and the outside file of that name is not moved into the share', async () => {
    const before = outsideSnapshot();
    const space = new SwappedAfterLookup(share, 1); // the source's lookup
    const moved = await moveEntry(
      space,
      { segments: ['d', 'a.txt'], destination: ['taken.txt'], overwrite: true },
      limits,
    );
    expect(moved.status).toBe(409);
    expect(existsSync(path.join(share, 'taken.txt'))).toBe(false);
    expect(outsideSnapshot()).toEqual(before);
  });

  it('MOVE of a name only the share had: 404, not a failure', async () => {
    await writeFiles(share, { 'd/only-inside.txt': 'inside' });
    const space = new SwappedAfterLookup(share, 1);
    const moved = await moveEntry(
      space,
      { segments: ['d', 'only-inside.txt'], destination: ['x.txt'], overwrite: true },
      limits,
    );
    expect(moved.status).toBe(404);
  });

  it('MOVE into it: 409, and the outside file it would replace stays', async () => {
    await writeFiles(share, { 'mine.txt': 'guest' });
    const before = outsideSnapshot();
    const space = new SwappedAfterLookup(share, 2); // the destination's lookup
    const moved = await moveEntry(
      space,
      { segments: ['mine.txt'], destination: ['d', 'a.txt'], overwrite: true },
      limits,
    );
    expect(moved.status).toBe(409);
    expect(readFileSync(path.join(share, 'mine.txt'), 'utf8')).toBe('guest');
    expect(outsideSnapshot()).toEqual(before);
  });

  it('COPY into it: 409, nothing written outside, no temp left', async () => {
    await writeFiles(share, { 'mine.txt': 'guest', 'tree/x.txt': 'guest' });
    for (const source of ['mine.txt', 'tree']) {
      const before = outsideSnapshot();
      const space = new SwappedAfterLookup(share, 2);
      const copied = await copyEntry(
        space,
        { segments: [source], destination: ['d', 'copy'], overwrite: true, deep: true },
        limits,
      );
      expect(copied.status).toBe(409);
      expect(outsideSnapshot()).toEqual(before);
      expect(tempFilesBelow(sandbox.outside)).toEqual([]);
      unswap();
    }
  });

  it('MKCOL in it: 409, no folder made outside', async () => {
    const space = new SwappedAfterLookup(share, 1);
    const location = await space.locate(['d', 'made']);
    expect((await makeFolder(location)).status).toBe(409);
    expect(existsSync(outside('made'))).toBe(false);
  });

  it('DELETE in it: 409, the outside file and folder stay', async () => {
    const before = outsideSnapshot();
    for (const target of [
      ['d', 'a.txt'],
      ['d', 'sub'],
    ]) {
      const space = new SwappedAfterLookup(share, 1);
      const location = await space.locate(target);
      expect((await deleteEntry(space, location)).status).toBe(409);
      unswap();
    }
    expect(outsideSnapshot()).toEqual(before);
  });
});

describe('listings of a folder swapped for a link to outside after it was resolved', () => {
  it('show nothing from outside: no names in a folder page, no listing to read', async () => {
    const resolved = path.join(share, 'd');
    expect((await readFolderIndex(share, resolved)).entries.map((entry) => entry.name).sort()).toEqual([
      'a.txt',
      'sub',
    ]);
    renameSync(resolved, path.join(share, 'd-moved'));
    symlinkSync(sandbox.outside, resolved);
    expect(await readFolderIndex(share, resolved)).toEqual({ entries: [], more: false });
    expect(await openListedFolder(resolved)).toBeUndefined();
  });

  it('an entry swapped for a link to outside after the folder was read shows no outside stats', async () => {
    await writeFiles(sandbox.outside, { 'big.bin': Buffer.alloc(12345) });
    const [dirent] = readdirSync(path.join(share, 'd'), { withFileTypes: true }).filter(
      (e) => e.name === 'a.txt',
    );
    unlinkSync(path.join(share, 'd', 'a.txt'));
    symlinkSync(outside('big.bin'), path.join(share, 'd', 'a.txt'));
    expect(await visibleStats(share, path.join(share, 'd', 'a.txt'), dirent!)).toBeUndefined();
  });
});

it('the share is as it was where no swap came (the specs above test the swap, not a broken namespace)', async () => {
  mkdirSync(path.join(share, 'e'));
  const space = new ShareNamespace(share);
  const moved = await moveEntry(
    space,
    { segments: ['d', 'a.txt'], destination: ['e', 'a.txt'], overwrite: true },
    limits,
  );
  expect(moved.status).toBe(201);
  expect(readFileSync(path.join(share, 'e', 'a.txt'), 'utf8')).toBe('inside');
});
