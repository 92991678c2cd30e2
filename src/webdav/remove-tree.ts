import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FileCalls, FolderReader } from './file-calls';

/**
 * Calls made on the event loop (a local share's file calls are synchronous) before the removal lets the
 * loop turn: a tree of 100,000 files is removed in turns of a few milliseconds, and every other connection
 * is served in between.
 */
export const CALLS_PER_TURN = 256;

/** Unlinks started together (see emptyOfFiles). */
const UNLINKS_TOGETHER = 32;

/** How often a folder that is not empty after its entries were removed is read again before giving up. */
const MAX_FOLDER_READS = 3;

/** A folder being emptied: the subfolders found in it that are still to be removed, once it has been read. */
interface Visit {
  readonly path: string;
  subfolders: string[] | undefined;
  reads: number;
}

/**
 * Removes a folder and everything below it without following a link (a link is removed, not what it points
 * to), for DELETE. Each folder is read a batch of entries at a time, with the types readdir reports: files
 * and links are unlinked as they are read (no lstat each, where Node's recursive rm makes one per entry and
 * sends every call through the thread pool), subfolders are remembered and removed depth first, then the
 * folder itself. What is held is the names of subfolders still to visit, never a folder's whole listing.
 * The namespace lock keeps the guest out meanwhile; a program on the host that adds an entry makes the
 * folder be read again (at most MAX_FOLDER_READS times), one that replaces a file by a folder is met by
 * unlink's EISDIR and the folder is visited, and a subfolder is checked to still be a folder (not a link
 * put there) before it is entered. An entry that vanished meanwhile is not an error.
 */
export async function removeTree(calls: FileCalls, root: string): Promise<void> {
  let callsThisTurn = 0;
  const spend = async (): Promise<void> => {
    if (++callsThisTurn < CALLS_PER_TURN) return;
    callsThisTurn = 0;
    await nextTurn();
  };
  const visits: Visit[] = [{ path: root, subfolders: undefined, reads: 0 }];
  for (let visit = visits.at(-1); visit !== undefined; visit = visits.at(-1)) {
    if (visit.subfolders === undefined) {
      visit.reads++;
      visit.subfolders = await emptyOfFiles(calls, visit.path, spend);
    }
    const subfolder = visit.subfolders.pop();
    if (subfolder !== undefined) {
      const stats = await calls.lstat(subfolder);
      await spend();
      if (stats?.isDirectory() === true) visits.push({ path: subfolder, subfolders: undefined, reads: 0 });
      else if (stats !== undefined) await unlinkIfThere(calls, subfolder); // no longer a folder: a link or a file
      continue;
    }
    try {
      await calls.rmdir(visit.path);
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

/**
 * Unlinks every entry of a folder that is not a folder; returns the paths of its subfolders. The unlinks of a
 * batch are made together (in parallel where the calls go through the thread pool; one after the other, a
 * tree of 1,000 files took about twice as long there as Node's recursive rm).
 */
async function emptyOfFiles(calls: FileCalls, folder: string, spend: () => Promise<void>): Promise<string[]> {
  const subfolders: string[] = [];
  let reader: FolderReader;
  try {
    reader = await calls.openFolder(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return subfolders;
    throw error;
  }
  let batch: string[] = [];
  const unlinkBatch = async (): Promise<void> => {
    const gone = await Promise.all(batch.map((file) => unlinkIfThere(calls, file)));
    subfolders.push(...batch.filter((_, i) => !gone[i])); // folders after all
    batch = [];
  };
  try {
    for (let entry = await reader.next(); entry !== null; entry = await reader.next()) {
      const child = `${folder}/${entry.name}`;
      if (entry.isDirectory()) subfolders.push(child);
      else batch.push(child);
      if (batch.length >= UNLINKS_TOGETHER) await unlinkBatch();
      await spend();
    }
    await unlinkBatch();
  } finally {
    await reader.close();
  }
  return subfolders;
}

/**
 * Unlinks a file or link; false when the entry is a folder (readdir could not tell its type, or a program
 * on the host put a folder there since), true once it is gone, or was already.
 */
async function unlinkIfThere(calls: FileCalls, entry: string): Promise<boolean> {
  try {
    await calls.unlink(entry);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'EISDIR' || code === 'EPERM') {
      const stats = await calls.lstat(entry);
      if (stats?.isDirectory() === true) return false;
    }
    throw error;
  }
}
