import type { ShareNamespace } from '../share-namespace';
import { refusedOutcome } from './file-system-refusal';
import { LINK_REFUSAL, PATHS_TOO_LONG, TOO_DEEP, outcome, type MethodOutcome } from './method-outcome';
import { replaceEntry } from './replace-entry';
import { isPlan, planTransfer, type TransferRequest } from './transfer-plan';
import { fitsBelowPathMax, scanForMove } from './tree-scan';

/**
 * MOVE (RFC 4918 §9.9); the engine holds the namespace lock exclusively around it: every refusal comes before anything changes; a folder is
 * first walked (without following links, within `maxEntries`) to refuse one that contains a symbolic link,
 * whose meaning a move could change; then the entry is renamed over the destination (replace-entry.ts: a
 * rename that fails, say to another file system inside the share, leaves the destination as it was). Uploads
 * in progress below the source move along with it.
 */
export async function moveEntry(
  space: ShareNamespace,
  request: TransferRequest,
  limits: { readonly maxEntries: number; readonly cancelled: () => boolean },
): Promise<MethodOutcome> {
  const plan = await planTransfer(space, request);
  if (!isPlan(plan)) return plan;
  if (plan.sourceStats.isDirectory()) {
    const scan = await scanForMove(plan.source, limits);
    if (scan.kind === 'link') return outcome(403, LINK_REFUSAL);
    if (scan.kind === 'cancelled') return outcome(499, 'The guest went away; nothing was moved.');
    if (scan.kind === 'too-deep') return outcome(414, `${PATHS_TOO_LONG} Move it on the host.`);
    if (scan.kind === 'over-budget')
      return outcome(
        507,
        `This folder holds more than ${limits.maxEntries} entries, more than a move from the guest may ` +
          'check; move it on the host.',
      );
    if (scan.kind === 'fits' && !fitsBelowPathMax(plan.destination, scan.longest))
      return outcome(414, TOO_DEEP);
  }
  try {
    await replaceEntry(space, plan.source, plan.sourceStats, plan.destination);
    space.temps.moved(plan.source, plan.destination);
  } catch (error) {
    return refusedOutcome(error);
  }
  return outcome(plan.destinationExists ? 204 : 201);
}
