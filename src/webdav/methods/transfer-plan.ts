import { promises as fsp, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { ShareNamespace } from '../share-namespace';
import { HIDDEN_ENTRIES_REFUSAL, holdsHiddenEntries } from './hidden-entries';
import { LINK_REFUSAL, outcome, type MethodOutcome } from './method-outcome';
import { relationOf } from './path-relation';

export interface TransferRequest {
  readonly segments: readonly string[];
  readonly destination: readonly string[];
  readonly overwrite: boolean;
  /** The Destination ended in `/`: it names a folder. */
  readonly destinationTrailingSlash?: boolean;
}

/** Where a COPY or MOVE goes, once every refusal that must come before touching anything is checked. */
export interface TransferPlan {
  /** The source's directory entry, a real path (never a link: links are refused). */
  readonly source: string;
  readonly sourceStats: Stats;
  /** The destination's directory entry in its real parent folder. */
  readonly destination: string;
  readonly destinationExists: boolean;
  /** What is at the destination now (its own stats), if anything: what the transfer would replace. */
  readonly replaced: Stats | undefined;
}

/**
 * The checks COPY and MOVE share (RFC 4918 §9.8, §9.9), run under the namespace lock before anything
 * changes: both ends inside, the source exists and is no link, the destination's parent is a folder, source
 * and destination differ, the destination is not inside the source, an existing destination that contains
 * the source is never replaced (that would delete the source), Overwrite: F on an existing destination is
 * 412.
 */
export async function planTransfer(
  space: ShareNamespace,
  request: TransferRequest,
): Promise<TransferPlan | MethodOutcome> {
  const source = await space.locate(request.segments);
  if (source.kind === 'outside') return outcome(403, 'The source leaves the shared folder.');
  if (!source.exists) return outcome(404, 'No such file or folder in the share.');
  // Gone since the lookup: the host removed it, or swapped a folder on its way (a 404, not a fault).
  const sourceStats = await space.calls.lstat(source.entry);
  if (sourceStats === undefined) return outcome(404, 'No such file or folder in the share.');
  if (sourceStats.isSymbolicLink()) return outcome(403, LINK_REFUSAL);
  if (!sourceStats.isFile() && !sourceStats.isDirectory())
    return outcome(404, 'No such file or folder in the share.');
  const destination = await space.locate(request.destination);
  if (destination.kind === 'outside') return outcome(403, 'The Destination leaves the shared folder.');
  const parent = await fsp.stat(path.dirname(destination.entry)).catch(() => undefined);
  if (!parent?.isDirectory())
    return outcome(409, "The Destination's parent folder does not exist; create it first.");
  switch (relationOf(source.entry, destination.entry)) {
    case 'same':
      return outcome(403, 'The source and the Destination are the same.');
    case 'destination-inside-source':
      return outcome(403, 'A folder cannot be copied or moved into itself.');
    case 'source-inside-destination':
      if (destination.exists)
        return outcome(403, 'The Destination contains the source; replacing it would delete the source.');
      break;
    case 'apart':
      break;
  }
  const replaced = destination.exists ? await space.calls.lstat(destination.entry) : undefined;
  // "name/" names a folder: a file may replace one there (Overwrite: T, as litmus checks), but not become a
  // file of that name where there is none, nor replace a file by a name the file itself cannot have.
  if (request.destinationTrailingSlash === true && sourceStats.isFile() && replaced?.isDirectory() !== true)
    return outcome(
      409,
      'A Destination ending in / names a folder: give the file its name without the slash.',
    );
  if (replaced !== undefined && !isReplaceable(replaced))
    return outcome(403, 'Only regular files and folders can be replaced.');
  if (destination.exists && !request.overwrite)
    return outcome(412, 'The Destination exists and Overwrite is F; nothing was changed.');
  if (replaced?.isDirectory() === true && (await holdsHiddenEntries(destination.entry, space.calls.tree)))
    return outcome(403, HIDDEN_ENTRIES_REFUSAL);
  return {
    source: source.entry,
    sourceStats,
    destination: destination.entry,
    destinationExists: destination.exists,
    replaced,
  };
}

/**
 * Whether a COPY or MOVE may replace the entry with these (own, lstat) stats: a file, a folder, or a link (the
 * link itself is replaced, never its target). A FIFO, socket or device the host put there is no file the guest
 * can see (visibility.ts), and replacing it would destroy something the guest was told does not exist, as
 * PUT's 403; a folder that holds one is refused the same way (hidden-entries.ts).
 */
function isReplaceable(stats: Stats): boolean {
  return stats.isFile() || stats.isDirectory() || stats.isSymbolicLink();
}

export function isPlan(value: TransferPlan | MethodOutcome): value is TransferPlan {
  return 'source' in value;
}
