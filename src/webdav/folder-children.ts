import { promises as fsp, type Dir, type Dirent } from 'node:fs';
import { isUploadTempName } from './atomic-file-writer';
import { isAccessRefusal } from './file-calls';

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
    if (isAccessRefusal(error)) throw error;
    return;
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
