import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CheckedFolders, inCheckedFolder } from '../anchored-names';
import type { ShareNamespace } from '../share-namespace';
import { isReadOnlyFile, READ_ONLY_FILE_REFUSAL } from '../read-only-file';
import { freshTempName } from '../share-temp-files';
import { refusedOutcome } from './file-system-refusal';
import { LINK_REFUSAL, PATHS_TOO_LONG, TOO_DEEP, outcome, type MethodOutcome } from './method-outcome';
import { copyFileIfSame } from './copy-file-if-same';
import { removeEntry } from './remove-entry';
import { replaceEntry } from './replace-entry';
import { TreeWalk } from './tree-walk';
import { isPlan, planTransfer, type TransferRequest } from './transfer-plan';
import { entryNames, fitsBelowPathMax, lstatIfThere, scanTree, type TreeBudget } from './tree-scan';

export interface CopyRequest extends TransferRequest {
  /** Depth: infinity (true) or 0 (false). */
  readonly deep: boolean;
}

/**
 * COPY (RFC 4918 §9.8); the engine holds the namespace lock exclusively around it. The source is walked first, without following links:
 * a symbolic link anywhere in it is refused (so a copy never recurses through a folder link, and never
 * makes a link mean something else), and so is a tree over the entry or byte budget (507). The copy is built
 * in a hidden temp folder next to the destination and renamed into place only when complete, so a failed,
 * over-budget or abandoned copy (the guest went away) leaves nothing behind and the old destination intact.
 * Copies never carry setuid, setgid or sticky bits, nor our temp files.
 */
export async function copyEntry(
  space: ShareNamespace,
  request: CopyRequest,
  budget: TreeBudget,
): Promise<MethodOutcome> {
  const plan = await planTransfer(space, request);
  if (!isPlan(plan)) return plan;
  // A copy onto a file writes that file, as cp does, and cp refuses one it may not write; so does PUT. (A MOVE
  // replaces the name, as mv does, which only the folder's permissions govern; so does DELETE.)
  if (await isReadOnlyFile(space.calls, plan.destination, plan.replaced))
    return outcome(403, READ_ONLY_FILE_REFUSAL);
  const scan = await scanTree(plan.source, request.deep, budget);
  if (scan.kind === 'link') return outcome(403, LINK_REFUSAL);
  if (scan.kind === 'cancelled') return outcome(499, 'The guest went away; nothing was copied.');
  if (scan.kind === 'over-budget') return overBudget(budget);
  if (scan.kind === 'too-deep') return outcome(414, `${PATHS_TOO_LONG} Copy it on the host.`);

  const staging = path.join(path.dirname(plan.destination), freshTempName());
  const longerTop =
    Buffer.byteLength(staging) > Buffer.byteLength(plan.destination) ? staging : plan.destination;
  if (!fitsBelowPathMax(longerTop, scan.longest)) return outcome(414, TOO_DEEP);
  // The staging is a file or a folder, whatever the copy got to; removed through checked folders.
  const discardStaging = (): Promise<void> => removeEntry(space, staging).catch(() => undefined);
  const staged = await stageCopy(space.rootReal, plan.source, staging, request.deep, budget).catch(
    async (error: unknown) => {
      await discardStaging();
      return refusedOutcome(error);
    },
  );
  if (staged !== 'complete') {
    await discardStaging();
    return staged === 'cancelled'
      ? outcome(499, 'The guest went away; nothing was copied.')
      : staged === 'over-budget'
        ? overBudget(budget)
        : staged === 'source-gone'
          ? outcome(404, 'The source was removed on the host meanwhile; nothing was copied.')
          : staged;
  }
  // The last look before the copy takes effect: a guest gone (or a share retired) since the staging began
  // leaves nothing, rather than replacing what is there now (another share of the folder may have written it).
  if (budget.cancelled()) {
    await discardStaging();
    return outcome(499, 'The guest went away; nothing was copied.');
  }
  try {
    await replaceEntry(space, staging, await fsp.lstat(staging), plan.destination);
  } catch (error) {
    await discardStaging();
    return refusedOutcome(error);
  }
  return outcome(plan.destinationExists ? 204 : 201);
}

function overBudget(budget: TreeBudget): MethodOutcome {
  return outcome(
    507,
    `This copy would take more than ${budget.maxEntries} entries or ${budget.maxBytes} bytes, more than ` +
      'a copy from the guest may; nothing was copied. Copy it on the host.',
  );
}

type Staged = 'complete' | 'over-budget' | 'cancelled' | 'source-gone';

/**
 * Copies `source` to the new name `target`, counting against the budget again (the host may add files).
 * Paths are bytes, as in the scan: every name is copied as it is on disk, UTF-8 or not. Every name made goes
 * through its folder checked first (anchored-names.ts): nothing is written beyond a folder the host swaps. An
 * entry the host removes meanwhile is left out, as if the copy had begun after; the source itself gone is
 * `source-gone`.
 */
async function stageCopy(
  rootReal: string,
  source: string,
  target: string,
  deep: boolean,
  budget: TreeBudget,
): Promise<Staged> {
  let entries = 0;
  let bytes = 0;
  const top = Buffer.from(source);
  const targetTop = Buffer.from(target);
  const walk = new TreeWalk(top);
  const targets = new CheckedFolders();
  try {
    for (let from = walk.next(); from !== undefined; from = walk.next()) {
      if (budget.cancelled()) return 'cancelled';
      // Every path the walk gives starts with the source's: the copy's is the same below the target.
      const to = from === top ? targetTop : Buffer.concat([targetTop, from.subarray(top.length)]);
      const stats = await lstatIfThere(from);
      if (stats === undefined) {
        if (from === top) return 'source-gone';
        continue;
      }
      entries++;
      if (stats.isFile()) bytes += stats.size;
      if (entries > budget.maxEntries || bytes > budget.maxBytes) return 'over-budget';
      if (stats.isDirectory()) {
        await targets.at(to, (at) => fsp.mkdir(at));
        // Listed through the folder checked to be where the walk is (a folder swapped for a link: 409).
        if (deep) walk.enter(from, await inCheckedFolder(from, entryNames));
      } else if (stats.isFile()) {
        if (!(await targets.at(to, (at) => copyFileIfSame(from, at, stats, rootReal)))) {
          if (from === top) return 'source-gone';
          continue;
        }
      }
      // Links were refused by the scan; FIFOs, sockets and devices are invisible to the guest and not copied.
    }
  } finally {
    targets.close();
  }
  return 'complete';
}
