import { promises as fsp, type Dir, type Dirent } from 'node:fs';
import { FOLDER_SWAPPED, holdCheckedFolder } from './anchored-names';
import { isUploadTempName } from './atomic-file-writer';
import { isMissing } from './file-calls';

/** A folder entry the guest may see, by name; its stat comes later, batch by batch. */
export interface Child {
  readonly dirent: Dirent;
  /** The share path, for dead properties and locks. */
  readonly path: string;
}

/** How many entries of a folder are handed on at once: enough to keep the thread pool busy with stats. */
export const CHILD_BATCH = 128;

/** Entries one read of a folder asks the kernel for (one thread-pool trip each). */
const READ_BATCH = 1024;

/**
 * A folder's entries in batches of up to CHILD_BATCH, upload temp files left out, read as they are asked for
 * (the directory stays open until the last batch or until the caller stops), so a folder of a million names
 * is never held whole (about 330 MB); none when it went away meanwhile. A folder the host will not let this
 * process read is the engine's 403 (connection-host.ts), not an empty listing that says it is empty.
 */
export async function* folderChildren(
  folderReal: string,
  folderPath: string,
  /** Told each upload temp name left out (stale-temp-files.ts). */
  onTempName?: (name: string) => void,
): AsyncGenerator<readonly Child[]> {
  let folder: Dir;
  try {
    folder = await fsp.opendir(folderReal, { bufferSize: READ_BATCH });
  } catch (error) {
    // Gone meanwhile: nothing to list. Anything else (no permission: 403; out of descriptors: 503) is said,
    // never shown as an empty folder, which a syncing client would take for everything deleted.
    if (isMissing(error as NodeJS.ErrnoException)) return;
    throw error;
  }
  try {
    let batch: Child[] = [];
    // read() rather than the Dir's own iterator: a third of the cost per entry, measured.
    for (let dirent = await folder.read(); dirent !== null; dirent = await folder.read()) {
      if (isUploadTempName(dirent.name)) {
        onTempName?.(dirent.name);
        continue;
      }
      batch.push({ dirent, path: folderPath === '/' ? `/${dirent.name}` : `${folderPath}/${dirent.name}` });
      if (batch.length < CHILD_BATCH) continue;
      yield batch;
      batch = [];
    }
    if (batch.length > 0) yield batch;
  } finally {
    // At the end, on an error, and when the caller stops early (return() on the generator).
    await folder.close().catch(() => undefined);
  }
}

/** A folder held open for a listing: `here` lists it and, with `/name`, reaches its entries. */
export interface ListedFolder {
  readonly here: string;
  close(): void;
}

/**
 * Opens the folder at `folderReal` for a listing, checked to be that folder (anchored-names.ts), and held until
 * `close`: its names are read, and its entries' stats taken, through it, so a host program that swaps the
 * folder for a link to elsewhere meanwhile does not get names or sizes from outside the share into the answer
 * (a reviewer's host race did, session 29). Undefined when the folder is gone or was swapped since it was
 * resolved. Where /proc is not mounted, the path itself.
 */
export async function openListedFolder(folderReal: string): Promise<ListedFolder | undefined> {
  try {
    const held = await holdCheckedFolder(Buffer.from(folderReal));
    return { here: held.here.toString(), close: held.close };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === FOLDER_SWAPPED || isMissing(error as NodeJS.ErrnoException)) return undefined;
    throw error;
  }
}
