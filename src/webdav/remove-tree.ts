import {
  type Dirent,
  type Stats,
  close,
  closeSync,
  fstat,
  fstatSync,
  open,
  promises as fsp,
  lstatSync,
  opendirSync,
  openSync,
  rmdirSync,
  unlinkSync,
} from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  FOLDER_FLAGS,
  folderSwapped,
  nameAt,
  openCheckedFolder,
  openCheckedFolderSync,
  splitLast,
} from './anchored-names';
import { BYTE_NAMED, openByteNamed, pathBelow } from './byte-path';
import { descriptorPath, procFdsAvailable } from './opened-within';

/**
 * Calls made on the event loop before the removal lets the loop turn: a tree of 100,000 files is removed in
 * turns of a few milliseconds, and every other connection is served in between.
 */
export const CALLS_PER_TURN = 256;

/**
 * Counts the calls of a walk made on the event loop: every CALLS_PER_TURN-th returns a promise that settles
 * once the loop has turned, the others undefined (awaiting one per call would cost a microtask each).
 */
export function turnBudget(): () => Promise<void> | undefined {
  let callsThisTurn = 0;
  return () => {
    if (++callsThisTurn < CALLS_PER_TURN) return undefined;
    callsThisTurn = 0;
    return nextTurn();
  };
}

/** How often a folder that is not empty after its entries were removed is read again before giving up. */
const MAX_FOLDER_READS = 3;

/** A folder being emptied: the subfolders found in it that are still to be removed, once it has been read. */
interface Visit {
  /** Its name in its parent folder. */
  readonly name: Buffer;
  subfolders: Buffer[] | undefined;
  reads: number;
}

/**
 * The calls a removal makes, in one of two forms with the same answers (as file-calls.ts): on the event loop
 * (`loopTreeCalls`, a local share), or each a trip to libuv's thread pool (`poolTreeCalls`: a network file
 * system, where a call may wait). Errors are thrown, either way.
 */
export interface TreeCalls {
  /** Opens the folder at `folder` checked to be that folder (anchored-names.ts). */
  openChecked(folder: Buffer): number | Promise<number>;
  open(path: Buffer, flags: number): number | Promise<number>;
  fstat(fd: number): Stats | Promise<Stats>;
  close(fd: number): void | Promise<void>;
  /** The entry's lstat, undefined when nothing is there. */
  lstat(path: Buffer): Stats | undefined | Promise<Stats | undefined>;
  unlink(path: Buffer): void | Promise<void>;
  rmdir(path: Buffer): void | Promise<void>;
  /** A folder's entries read a batch at a time, names as the bytes on disk; the folder is closed when left. */
  entries(folder: Buffer): Iterable<Dirent<Buffer>> | AsyncIterable<Dirent<Buffer>>;
}

function* entriesNow(folder: Buffer): Iterable<Dirent<Buffer>> {
  const dir = opendirSync(folder, BYTE_NAMED);
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync())
      yield entry as unknown as Dirent<Buffer>;
  } finally {
    dir.closeSync();
  }
}

async function* entriesThroughPool(folder: Buffer): AsyncIterable<Dirent<Buffer>> {
  yield* await openByteNamed(folder);
}

export const loopTreeCalls: TreeCalls = {
  openChecked: openCheckedFolderSync,
  open: (path, flags) => openSync(path, flags),
  fstat: (fd) => fstatSync(fd),
  close: (fd) => closeSync(fd),
  lstat: (path) => lstatSync(path, { throwIfNoEntry: false }),
  unlink: (path) => unlinkSync(path),
  rmdir: (path) => rmdirSync(path),
  entries: entriesNow,
};

export const poolTreeCalls: TreeCalls = {
  openChecked: openCheckedFolder,
  open: (path, flags) =>
    new Promise((resolve, reject) => open(path, flags, (error, fd) => (error ? reject(error) : resolve(fd)))),
  fstat: (fd) =>
    new Promise((resolve, reject) => fstat(fd, (error, stats) => (error ? reject(error) : resolve(stats)))),
  close: (fd) => new Promise((resolve, reject) => close(fd, (error) => (error ? reject(error) : resolve()))),
  lstat: (path) =>
    fsp.lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    }),
  unlink: (path) => fsp.unlink(path),
  rmdir: (path) => fsp.rmdir(path),
  entries: entriesThroughPool,
};

/**
 * Where a removal is in the tree: the folder being emptied, and the way back up. Entries are named relative to
 * it, so what a name reaches does not depend on the paths above it.
 */
interface FolderCursor {
  /** A path for a system call on `name` in the current folder. */
  at(name: Buffer): Buffer;
  /** A path that lists the current folder. */
  here(): Buffer;
  /** Makes the subfolder `name` the current folder, never through a link. */
  enter(name: Buffer): Promise<'entered' | 'gone' | 'not-folder'>;
  /** Makes the folder the current one was entered from current again. */
  leave(): Promise<void>;
  close(): Promise<void>;
}

const PARENT = Buffer.from('..');

function sameFolder(a: Stats, b: Stats): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/**
 * The cursor where /proc is mounted: the current folder is an open descriptor, and every call goes through it
 * (anchored-names.ts), so a folder the host swaps for a link to elsewhere while the removal runs is never
 * entered, and nothing beyond it is removed (a reviewer's host race deleted files outside the share through a
 * removal by path, session 28). Only the current folder is held open (a tree may be thousands of folders deep);
 * the way back up is its `..`, checked to be the folder it was entered from (device and inode): a folder the
 * host moved elsewhere meanwhile ends the removal (FOLDER_SWAPPED) instead of going on in its new place.
 */
class DescriptorCursor implements FolderCursor {
  private readonly path: Stats[];

  constructor(
    private readonly calls: TreeCalls,
    private current: number,
    anchorStats: Stats,
  ) {
    this.path = [anchorStats];
  }

  at(name: Buffer): Buffer {
    return nameAt(this.current, name);
  }

  here(): Buffer {
    return Buffer.from(descriptorPath(this.current));
  }

  async enter(name: Buffer): Promise<'entered' | 'gone' | 'not-folder'> {
    let fd: number;
    try {
      fd = await this.calls.open(this.at(name), FOLDER_FLAGS);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return 'gone';
      if (code === 'ENOTDIR' || code === 'ELOOP') return 'not-folder';
      throw error;
    }
    try {
      this.path.push(await this.calls.fstat(fd));
    } catch (error) {
      await this.calls.close(fd);
      throw error;
    }
    await this.calls.close(this.current);
    this.current = fd;
    return 'entered';
  }

  async leave(): Promise<void> {
    const up = await this.calls.open(this.at(PARENT), FOLDER_FLAGS);
    const expected = this.path.at(-2);
    let came: Stats;
    try {
      came = await this.calls.fstat(up);
    } catch (error) {
      await this.calls.close(up);
      throw error;
    }
    if (expected === undefined || !sameFolder(came, expected)) {
      await this.calls.close(up);
      throw folderSwapped(this.here());
    }
    await this.calls.close(this.current);
    this.current = up;
    this.path.pop();
  }

  async close(): Promise<void> {
    await this.calls.close(this.current);
  }
}

/** The cursor without /proc: by path, every folder checked to be no link before it is entered. */
class PathCursor implements FolderCursor {
  private readonly path: Buffer[];

  constructor(
    private readonly calls: TreeCalls,
    anchor: Buffer,
  ) {
    this.path = [anchor];
  }

  private get current(): Buffer {
    return this.path[this.path.length - 1] as Buffer;
  }

  at(name: Buffer): Buffer {
    return pathBelow(this.current, name);
  }

  here(): Buffer {
    return this.current;
  }

  async enter(name: Buffer): Promise<'entered' | 'gone' | 'not-folder'> {
    const stats = await this.calls.lstat(this.at(name));
    if (stats === undefined) return 'gone';
    if (!stats.isDirectory()) return 'not-folder';
    this.path.push(this.at(name));
    return 'entered';
  }

  leave(): Promise<void> {
    this.path.pop();
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A cursor on the folder that holds `folder` (checked to be that folder: anchored-names.ts). */
async function cursorAbove(calls: TreeCalls, folder: Buffer): Promise<FolderCursor> {
  if (!procFdsAvailable()) return new PathCursor(calls, folder);
  const fd = await calls.openChecked(folder);
  try {
    return new DescriptorCursor(calls, fd, await calls.fstat(fd));
  } catch (error) {
    await calls.close(fd);
    throw error;
  }
}

function notAFolder(root: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${root} is not a folder`);
  error.code = 'ENOTDIR';
  return error;
}

/**
 * Removes a folder and everything below it without following a link (a link is removed, not what it points
 * to): DELETE's removal on a local share, made on the event loop (file-calls.ts). Each folder is read a batch
 * of entries at a time, with the types readdir reports: files and links are unlinked as they are read (no
 * lstat each, where Node's recursive rm makes one per entry and sends every call through the thread pool),
 * subfolders are remembered and removed depth first, then the folder itself. What is held is the names of
 * subfolders still to visit, never a folder's whole listing. Every name is reached through the folder that
 * holds it, opened without following a link (FolderCursor), never by a path from the root. The namespace
 * lock keeps the guest out meanwhile; a program on the host that adds an entry makes the folder be read again
 * (at most MAX_FOLDER_READS times), one that replaces a file by a folder is met by unlink's EISDIR and the
 * folder is visited. An entry that vanished meanwhile is not an error. Names are bytes (byte-path.ts): a name
 * that is not UTF-8, which no request can name and no listing shows, is removed like any other.
 */
export async function removeTree(root: string, calls: TreeCalls = loopTreeCalls): Promise<void> {
  const spend = turnBudget();
  const { folder, name } = splitLast(root);
  let cursor: FolderCursor;
  try {
    cursor = await cursorAbove(calls, folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // its folder is gone, and it with it
    throw error;
  }
  try {
    const top = await cursor.enter(name);
    if (top === 'gone') return;
    if (top === 'not-folder') throw notAFolder(root);
    const visits: Visit[] = [{ name, subfolders: undefined, reads: 0 }];
    for (let visit = visits.at(-1); visit !== undefined; visit = visits.at(-1)) {
      if (visit.subfolders === undefined) {
        visit.reads++;
        visit.subfolders = await emptyOfFiles(calls, cursor, spend);
      }
      const subfolder = visit.subfolders.pop();
      if (subfolder !== undefined) {
        const entered = await cursor.enter(subfolder);
        await spend();
        if (entered === 'entered') visits.push({ name: subfolder, subfolders: undefined, reads: 0 });
        else if (entered === 'not-folder') await unlinkIfThere(calls, cursor.at(subfolder)); // a link or a file now
        continue;
      }
      await cursor.leave();
      if (!(await removeEmptied(calls, cursor, visit))) continue; // entries came meanwhile: it is current again
      await spend();
      visits.pop();
    }
  } finally {
    await cursor.close();
  }
}

/**
 * Removes the emptied folder of `visit` from the current folder; false when the host added entries to it
 * meanwhile and it is the current folder again, to be read once more.
 */
async function removeEmptied(calls: TreeCalls, cursor: FolderCursor, visit: Visit): Promise<boolean> {
  try {
    await calls.rmdir(cursor.at(visit.name));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    if (visit.reads >= MAX_FOLDER_READS) throw error; // something keeps adding entries
    const entered = await cursor.enter(visit.name);
    if (entered === 'gone') return true;
    if (entered === 'not-folder') throw error;
    visit.subfolders = undefined;
    return false;
  }
}

/** Unlinks every entry of the current folder that is not a folder; returns the names of its subfolders. */
async function emptyOfFiles(
  calls: TreeCalls,
  cursor: FolderCursor,
  spend: () => Promise<void> | undefined,
): Promise<Buffer[]> {
  const subfolders: Buffer[] = [];
  try {
    for await (const entry of calls.entries(cursor.here())) {
      if (entry.isDirectory() || !(await unlinkIfThere(calls, cursor.at(entry.name))))
        subfolders.push(entry.name);
      const turn = spend();
      if (turn !== undefined) await turn;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error; // the folder gone meanwhile: done
  }
  return subfolders;
}

/**
 * Unlinks a file or link; false when the entry is a folder (readdir could not tell its type, or a program
 * on the host put a folder there since), true once it is gone, or was already.
 */
async function unlinkIfThere(calls: TreeCalls, entry: Buffer): Promise<boolean> {
  try {
    await calls.unlink(entry);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if ((code === 'EISDIR' || code === 'EPERM') && (await calls.lstat(entry))?.isDirectory() === true)
      return false;
    throw error;
  }
}
