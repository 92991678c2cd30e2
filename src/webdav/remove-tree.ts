import {
  type Dirent,
  type Stats,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  opendirSync,
  openSync,
  rmdirSync,
  unlinkSync,
} from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { folderSwapped, nameAt, openCheckedFolderSync, splitLast } from './anchored-names';
import { pathBelow } from './byte-path';
import { procFdsAvailable } from './opened-within';

/**
 * Calls made on the event loop before the removal lets the loop turn: a tree of 100,000 files is removed in
 * turns of a few milliseconds, and every other connection is served in between.
 */
export const CALLS_PER_TURN = 256;

/** How many entries of a folder are read from the system at a time. */
const FOLDER_BATCH = 64;

/** How often a folder that is not empty after its entries were removed is read again before giving up. */
const MAX_FOLDER_READS = 3;

/** A folder being emptied: the subfolders found in it that are still to be removed, once it has been read. */
interface Visit {
  /** Its name in its parent folder. */
  readonly name: Buffer;
  subfolders: Buffer[] | undefined;
  reads: number;
}

/** A folder's entries read a batch at a time, their names as the bytes on disk. */
interface ByteNamedDir {
  readSync(): Dirent<Buffer> | null;
  closeSync(): void;
}

/**
 * Opens a folder whose entries' names come as bytes. Node takes `encoding: 'buffer'` here as readdir does;
 * @types/node types only the string form of opendir.
 */
function openByteNamed(folder: Buffer): ByteNamedDir {
  return opendirSync(folder, {
    bufferSize: FOLDER_BATCH,
    encoding: 'buffer' as BufferEncoding,
  }) as unknown as ByteNamedDir;
}

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
  enter(name: Buffer): 'entered' | 'gone' | 'not-folder';
  /** Makes the folder the current one was entered from current again. */
  leave(): void;
  close(): void;
}

/** Opens a folder, never through a link at its own name, not blocking. */
const FOLDER_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

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
    private current: number,
    anchorStats: Stats,
  ) {
    this.path = [anchorStats];
  }

  at(name: Buffer): Buffer {
    return nameAt(this.current, name);
  }

  here(): Buffer {
    return Buffer.from(`/proc/self/fd/${this.current}`);
  }

  enter(name: Buffer): 'entered' | 'gone' | 'not-folder' {
    let fd: number;
    try {
      fd = openSync(this.at(name), FOLDER_FLAGS);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return 'gone';
      if (code === 'ENOTDIR' || code === 'ELOOP') return 'not-folder';
      throw error;
    }
    this.path.push(fstatSync(fd));
    closeSync(this.current);
    this.current = fd;
    return 'entered';
  }

  leave(): void {
    const up = openSync(this.at(PARENT), FOLDER_FLAGS);
    const expected = this.path.at(-2);
    if (expected === undefined || !sameFolder(fstatSync(up), expected)) {
      closeSync(up);
      throw folderSwapped(this.here());
    }
    closeSync(this.current);
    this.current = up;
    this.path.pop();
  }

  close(): void {
    closeSync(this.current);
  }
}

/** The cursor without /proc: by path, every folder checked to be no link before it is entered. */
class PathCursor implements FolderCursor {
  private readonly path: Buffer[];

  constructor(anchor: Buffer) {
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

  enter(name: Buffer): 'entered' | 'gone' | 'not-folder' {
    const stats = lstatSync(this.at(name), { throwIfNoEntry: false });
    if (stats === undefined) return 'gone';
    if (!stats.isDirectory()) return 'not-folder';
    this.path.push(this.at(name));
    return 'entered';
  }

  leave(): void {
    this.path.pop();
  }

  close(): void {}
}

/** A cursor on the folder that holds `folder` (checked to be that folder: anchored-names.ts). */
function cursorAbove(folder: Buffer): FolderCursor {
  if (!procFdsAvailable()) return new PathCursor(folder);
  const fd = openCheckedFolderSync(folder);
  try {
    return new DescriptorCursor(fd, fstatSync(fd));
  } catch (error) {
    closeSync(fd);
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
export async function removeTree(root: string): Promise<void> {
  let callsThisTurn = 0;
  const spend = async (): Promise<void> => {
    if (++callsThisTurn < CALLS_PER_TURN) return;
    callsThisTurn = 0;
    await nextTurn();
  };
  const { folder, name } = splitLast(root);
  let cursor: FolderCursor;
  try {
    cursor = cursorAbove(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // its folder is gone, and it with it
    throw error;
  }
  try {
    const top = cursor.enter(name);
    if (top === 'gone') return;
    if (top === 'not-folder') throw notAFolder(root);
    const visits: Visit[] = [{ name, subfolders: undefined, reads: 0 }];
    for (let visit = visits.at(-1); visit !== undefined; visit = visits.at(-1)) {
      if (visit.subfolders === undefined) {
        visit.reads++;
        visit.subfolders = await emptyOfFiles(cursor, spend);
      }
      const subfolder = visit.subfolders.pop();
      if (subfolder !== undefined) {
        const entered = cursor.enter(subfolder);
        await spend();
        if (entered === 'entered') visits.push({ name: subfolder, subfolders: undefined, reads: 0 });
        else if (entered === 'not-folder') unlinkIfThere(cursor.at(subfolder)); // a link or a file now
        continue;
      }
      cursor.leave();
      if (!removeEmptied(cursor, visit)) continue; // entries came meanwhile: it is current again
      await spend();
      visits.pop();
    }
  } finally {
    cursor.close();
  }
}

/**
 * Removes the emptied folder of `visit` from the current folder; false when the host added entries to it
 * meanwhile and it is the current folder again, to be read once more.
 */
function removeEmptied(cursor: FolderCursor, visit: Visit): boolean {
  try {
    rmdirSync(cursor.at(visit.name));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    if (visit.reads >= MAX_FOLDER_READS) throw error; // something keeps adding entries
    const entered = cursor.enter(visit.name);
    if (entered === 'gone') return true;
    if (entered === 'not-folder') throw error;
    visit.subfolders = undefined;
    return false;
  }
}

/** Unlinks every entry of the current folder that is not a folder; returns the names of its subfolders. */
async function emptyOfFiles(cursor: FolderCursor, spend: () => Promise<void>): Promise<Buffer[]> {
  const subfolders: Buffer[] = [];
  let dir: ByteNamedDir;
  try {
    dir = openByteNamed(cursor.here());
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return subfolders;
    throw error;
  }
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
      if (entry.isDirectory() || !unlinkIfThere(cursor.at(entry.name))) subfolders.push(entry.name);
      await spend();
    }
  } finally {
    dir.closeSync();
  }
  return subfolders;
}

/**
 * Unlinks a file or link; false when the entry is a folder (readdir could not tell its type, or a program
 * on the host put a folder there since), true once it is gone, or was already.
 */
function unlinkIfThere(entry: Buffer): boolean {
  try {
    unlinkSync(entry);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if ((code === 'EISDIR' || code === 'EPERM') && lstatSync(entry, { throwIfNoEntry: false })?.isDirectory())
      return false;
    throw error;
  }
}
