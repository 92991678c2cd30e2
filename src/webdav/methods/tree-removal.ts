import { readdir, rmdir, unlink, type Dirent } from 'node:fs';
import * as path from 'node:path';

/**
 * How many unlinks of one folder's entries are in flight at once. Many: the thread pool's completions then
 * reach the event loop together and its workers stay busy instead of being woken per call (with 1, 4 or 16
 * in flight a tree of 1,000 files cost more CPU and context switches than `fs.rm`, which starts all of a
 * folder's entries at once; with 64 as little). Bounded, so that a folder of 100,000 entries costs no more
 * memory than its listing and a few dozen requests.
 */
const CALLS_IN_FLIGHT = 64;

/**
 * Removes a folder and everything below it, never following a link: a link is unlinked, not entered. One
 * listing per folder gives every entry's type with its name (the kernel's d_type; where a file system does
 * not report it Node lstats the entry), so a file costs one call (its unlink) where `fs.rm` spends two
 * (lstat, unlink) and a folder three instead of four. Callers hold the namespace lock exclusively, so no
 * guest request changes the tree meanwhile; an entry that is already gone is skipped. Memory stays one
 * listing per level of the tree and at most CALLS_IN_FLIGHT calls, however wide or deep the guest made it.
 */
export async function removeTree(folder: string): Promise<void> {
  const entries = await listFolder(folder);
  const others = entries.filter((entry) => !entry.isDirectory());
  let next = 0;
  const unlinker = async (): Promise<void> => {
    for (let entry = others[next++]; entry !== undefined; entry = others[next++])
      await ignoringGone(unlinkEntry(path.join(folder, entry.name)));
  };
  await Promise.all(Array.from({ length: Math.min(CALLS_IN_FLIGHT, others.length) }, unlinker));
  // One subfolder at a time: at most one listing per level of the tree is held, whatever its shape.
  for (const entry of entries) if (entry.isDirectory()) await removeTree(path.join(folder, entry.name));
  await removeFolder(folder);
}

function listFolder(folder: string): Promise<Dirent[]> {
  return new Promise((resolve, reject) =>
    readdir(folder, { withFileTypes: true }, (error, entries) =>
      error === null ? resolve(entries) : reject(error),
    ),
  );
}

function unlinkEntry(real: string): Promise<void> {
  return new Promise((resolve, reject) =>
    unlink(real, (error) => (error === null ? resolve() : reject(error))),
  );
}

function removeFolder(folder: string): Promise<void> {
  return new Promise((resolve, reject) =>
    rmdir(folder, (error) => (error === null ? resolve() : reject(error))),
  );
}

async function ignoringGone(call: Promise<void>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
