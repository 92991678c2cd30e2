import { promises as fsp } from 'node:fs';
import type { Location } from '../path-confinement';
import type { ShareNamespace } from '../share-namespace';
import { fileSystemRefusal } from './file-system-refusal';
import { outcome, type MethodOutcome } from './method-outcome';

/**
 * DELETE (RFC 4918 §9.6) of a path the engine resolved under the namespace lock, which it holds exclusively
 * around this. Removes the directory entry itself (a link, not its target); `rm` never follows links inside a
 * folder. A file known to be one (the entry's own stats, read while resolving) is unlinked at once, without
 * `rm`'s own lstat. Uploads in progress below it learn their temp file is gone.
 */
export async function deleteEntry(space: ShareNamespace, location: Location): Promise<MethodOutcome> {
  if (location.kind === 'outside' || !location.exists)
    return outcome(404, 'No such file or folder in the share.');
  if (location.entry === space.rootReal) return outcome(403, 'The shared folder itself cannot be deleted.');
  try {
    if (location.stats?.isFile() === true) await fsp.unlink(location.entry);
    else await fsp.rm(location.entry, { recursive: true });
    space.temps.deleted(location.entry);
  } catch (error) {
    const refusal = fileSystemRefusal(error);
    if (refusal === undefined) throw error;
    return outcome(refusal.status, `${refusal.message} Part of it may already be deleted.`);
  }
  return outcome(204);
}
