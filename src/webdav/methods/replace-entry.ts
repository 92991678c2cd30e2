import { promises as fsp, type Stats } from 'node:fs';
import * as path from 'node:path';
import { atNames } from '../anchored-names';
import { sameFile, type ShareNamespace } from '../share-namespace';
import { freshTempName } from '../share-temp-files';
import { removeEntry } from './remove-entry';

/**
 * Renames the entry `from` (its own stats: `fromStats`) to `destination`, replacing whatever is there, so that
 * a rename that fails leaves both where they were: a MOVE to another file system inside the share (EXDEV) or
 * any other refusal must not cost the guest the destination it meant to replace. The caller holds the namespace
 * lock exclusively and keeps the temp-file registry up to date for `from`.
 *
 * - Nothing at the destination, or a file over another file: one rename(2), which replaces atomically.
 * - The destination is `from` itself under another spelling (a case-insensitive file system: `a` and `A`):
 *   one rename, which changes the spelling; removing the destination first would remove the source.
 * - Otherwise (a folder on either side, or a hard link of `from`, which rename(2) would silently leave): the
 *   destination is first renamed aside to a hidden temp name in its own folder (same file system, atomic), put
 *   back if the rename of `from` fails, and removed once it succeeded.
 */
export async function replaceEntry(
  space: ShareNamespace,
  from: string,
  fromStats: Stats,
  destination: string,
): Promise<void> {
  const existing = await space.calls.lstat(destination);
  if (existing === undefined || (fromStats.isFile() && existing.isFile() && !sameFile(fromStats, existing)))
    return renameAt(from, destination);
  if (sameFile(fromStats, existing) && (existing.isDirectory() || existing.nlink === 1))
    return renameAt(from, destination);

  const aside = path.join(path.dirname(destination), freshTempName());
  await renameAt(destination, aside);
  space.temps.moved(destination, aside);
  try {
    await renameAt(from, destination);
  } catch (error) {
    // Put back; the guest hears why the move failed (the put-back renames within one folder, as the set-aside).
    await renameAt(aside, destination).then(
      () => space.temps.moved(aside, destination),
      () => undefined,
    );
    throw error;
  }
  space.temps.deleted(aside);
  // The replacement is done; what was replaced goes. Should part of it resist removal (a folder inside it the
  // host made unwritable), it stays under its hidden name, out of the guest's sight, rather than turn a
  // completed MOVE or COPY into an error.
  await removeEntry(space, aside, existing).catch(() => undefined);
}

/** rename(2) through the checked folders of both names (anchored-names.ts): never beyond a folder swapped on the host. */
function renameAt(from: string, to: string): Promise<void> {
  return atNames(from, to, (fromAt, toAt) => fsp.rename(fromAt, toAt));
}
