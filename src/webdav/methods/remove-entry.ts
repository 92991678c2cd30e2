import type { Stats } from 'node:fs';
import type { ShareNamespace } from '../share-namespace';

/**
 * Removes the directory entry `entry` with the share's file calls: a file or link is unlinked (a link itself,
 * never its target), a folder removed with everything in it without following links inside (on the event loop
 * a batch at a time where the share is local: remove-tree.ts). `stats` are the entry's own (lstat) if the
 * caller has them; an entry gone already is no error. The caller holds the namespace lock exclusively.
 */
export async function removeEntry(space: ShareNamespace, entry: string, stats?: Stats): Promise<void> {
  const own = stats ?? (await space.calls.lstat(entry));
  if (own === undefined) return;
  if (own.isDirectory()) await space.calls.removeFolder(entry);
  else await space.calls.unlink(entry);
}
