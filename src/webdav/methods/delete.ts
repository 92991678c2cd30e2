import { lstat, unlink, type Stats } from 'node:fs';
import type { Location } from '../path-confinement';
import type { ShareNamespace } from '../share-namespace';
import { fileSystemRefusal } from './file-system-refusal';
import { outcome, type MethodOutcome } from './method-outcome';
import { removeTree } from './tree-removal';

/**
 * DELETE (RFC 4918 §9.6) of a path the engine resolved under the namespace lock, which it holds exclusively
 * around this. Removes the directory entry itself (a link, not its target), and never follows a link inside a
 * folder. The entry's own stats, read while resolving (or read now for a link), say which: anything but a
 * folder is unlinked at once, a folder removed with its tree (tree-removal.ts). Uploads in progress below it
 * learn their temp file is gone.
 */
export async function deleteEntry(space: ShareNamespace, location: Location): Promise<MethodOutcome> {
  if (location.kind === 'outside' || !location.exists)
    return outcome(404, 'No such file or folder in the share.');
  if (location.entry === space.rootReal) return outcome(403, 'The shared folder itself cannot be deleted.');
  try {
    const stats = location.stats ?? (await lstatOf(location.entry));
    if (stats.isDirectory()) await removeTree(location.entry);
    else await unlinkOf(location.entry);
    space.temps.deleted(location.entry);
  } catch (error) {
    const refusal = fileSystemRefusal(error);
    if (refusal === undefined) throw error;
    return outcome(refusal.status, `${refusal.message} Part of it may already be deleted.`);
  }
  return outcome(204);
}

function lstatOf(entry: string): Promise<Stats> {
  return new Promise((resolve, reject) =>
    lstat(entry, (error, stats) => (error === null ? resolve(stats) : reject(error))),
  );
}

function unlinkOf(entry: string): Promise<void> {
  return new Promise((resolve, reject) =>
    unlink(entry, (error) => (error === null ? resolve() : reject(error))),
  );
}
