import type { Location } from '../path-confinement';
import type { ShareNamespace } from '../share-namespace';
import { fileSystemRefusal } from './file-system-refusal';
import { HIDDEN_ENTRIES_REFUSAL, holdsHiddenEntries } from './hidden-entries';
import { outcome, type MethodOutcome } from './method-outcome';
import { removeEntry } from './remove-entry';

/**
 * DELETE (RFC 4918 §9.6) of a path the engine resolved under the namespace lock, which it holds exclusively
 * around this. Removes the directory entry itself (a link, not its target), and never follows a link inside a
 * folder. A file or link is unlinked at once. The share's file calls are used: on the event loop where the
 * share is local (remove-tree.ts, letting the loop turn between batches), through the pool otherwise.
 * Uploads in progress below it learn their temp file is gone. A folder that holds a FIFO, socket or device the
 * guest is not shown is kept whole (hidden-entries.ts).
 */
export async function deleteEntry(space: ShareNamespace, location: Location): Promise<MethodOutcome> {
  if (location.kind === 'outside' || !location.exists)
    return outcome(404, 'No such file or folder in the share.');
  if (location.entry === space.rootReal) return outcome(403, 'The shared folder itself cannot be deleted.');
  try {
    // A link's own stats are not read while resolving: removeEntry lstats it (unlinked, never followed).
    const own = location.stats ?? (await space.calls.lstat(location.entry));
    if (own?.isDirectory() === true && (await holdsHiddenEntries(location.entry, space.calls.tree)))
      return outcome(403, HIDDEN_ENTRIES_REFUSAL);
    await removeEntry(space, location.entry, own);
    space.temps.deleted(location.entry);
  } catch (error) {
    const refusal = fileSystemRefusal(error);
    if (refusal === undefined) throw error;
    return outcome(refusal.status, `${refusal.message} Part of it may already be deleted.`);
  }
  return outcome(204);
}
