import { type Dirent, lstatSync, opendirSync, rmdirSync, unlinkSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pathBelow } from './byte-path';

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
  readonly path: Buffer;
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
 * Removes a folder and everything below it without following a link (a link is removed, not what it points
 * to): DELETE's removal on a local share, made on the event loop (file-calls.ts). Each folder is read a batch
 * of entries at a time, with the types readdir reports: files and links are unlinked as they are read (no
 * lstat each, where Node's recursive rm makes one per entry and sends every call through the thread pool),
 * subfolders are remembered and removed depth first, then the folder itself. What is held is the names of
 * subfolders still to visit, never a folder's whole listing. The namespace lock keeps the guest out
 * meanwhile; a program on the host that adds an entry makes the folder be read again (at most
 * MAX_FOLDER_READS times), one that replaces a file by a folder is met by unlink's EISDIR and the folder is
 * visited, and a subfolder is checked to still be a folder (not a link put there) before it is entered. An
 * entry that vanished meanwhile is not an error. Paths are bytes (byte-path.ts): a name that is not UTF-8,
 * which no request can name and no listing shows, is removed like any other.
 */
export async function removeTree(root: string): Promise<void> {
  let callsThisTurn = 0;
  const spend = async (): Promise<void> => {
    if (++callsThisTurn < CALLS_PER_TURN) return;
    callsThisTurn = 0;
    await nextTurn();
  };
  const visits: Visit[] = [{ path: Buffer.from(root), subfolders: undefined, reads: 0 }];
  for (let visit = visits.at(-1); visit !== undefined; visit = visits.at(-1)) {
    if (visit.subfolders === undefined) {
      visit.reads++;
      visit.subfolders = await emptyOfFiles(visit.path, spend);
    }
    const subfolder = visit.subfolders.pop();
    if (subfolder !== undefined) {
      const stats = lstatSync(subfolder, { throwIfNoEntry: false });
      await spend();
      if (stats?.isDirectory() === true) visits.push({ path: subfolder, subfolders: undefined, reads: 0 });
      else if (stats !== undefined) unlinkIfThere(subfolder); // no longer a folder: a link or a file
      continue;
    }
    try {
      rmdirSync(visit.path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        if (visit.reads >= MAX_FOLDER_READS) throw error; // something keeps adding entries
        visit.subfolders = undefined;
        continue;
      }
      if (code !== 'ENOENT') throw error;
    }
    await spend();
    visits.pop();
  }
}

/** Unlinks every entry of a folder that is not a folder; returns the paths of its subfolders. */
async function emptyOfFiles(folder: Buffer, spend: () => Promise<void>): Promise<Buffer[]> {
  const subfolders: Buffer[] = [];
  let dir: ByteNamedDir;
  try {
    dir = openByteNamed(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return subfolders;
    throw error;
  }
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
      const child = pathBelow(folder, entry.name);
      if (entry.isDirectory() || !unlinkIfThere(child)) subfolders.push(child);
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
