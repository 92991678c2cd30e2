import { turnBudget, type TreeCalls } from '../remove-tree';
import { isGone } from './tree-scan';
import { TreeWalk } from './tree-walk';

/**
 * Whether the folder `top` holds, anywhere below it, an entry the guest is never shown (../visibility.ts): a
 * FIFO, a socket or a device the host put there (an agent's socket in a shared home folder). A DELETE of the
 * folder, or a COPY or MOVE that replaces it, would destroy what the guest was told does not exist, so they
 * are refused when this is true, before anything changes. Links are not followed (a link is an entry of its
 * own, removed as such); a folder removed on the host meanwhile holds nothing. Each folder is read a batch of
 * entries at a time, with the types the system reports; what is held is the names of the subfolders still to
 * read (tree-walk.ts). The folders are read with the share's tree calls: on the event loop for a local share,
 * a few hundred entries a turn, as the removal that follows (remove-tree.ts); through the pool otherwise.
 *
 * Only the host can put such entries in a share, and the caller holds the namespace lock exclusively, so no
 * guest request can add one between this walk and the removal.
 */
export async function holdsHiddenEntries(top: string, tree: TreeCalls): Promise<boolean> {
  const walk = new TreeWalk(Buffer.from(top)); // only folders are entered, so only folders come out
  const spend = turnBudget(); // on the event loop (a local share), other connections are served between batches
  for (let folder = walk.next(); folder !== undefined; folder = walk.next()) {
    const subfolders: string[] = [];
    try {
      for await (const entry of tree.entries(folder)) {
        if (entry.isDirectory()) subfolders.push(entry.name.toString('latin1'));
        else if (entry.isFIFO() || entry.isSocket() || entry.isBlockDevice() || entry.isCharacterDevice())
          return true; // leaving the loop closes the folder
        const turn = spend();
        if (turn !== undefined) await turn;
      }
    } catch (error) {
      if (isGone(error)) continue; // removed on the host meanwhile: it holds nothing
      throw error;
    }
    walk.enter(folder, subfolders);
  }
  return false;
}

/** What the guest hears when a folder it would remove holds such an entry. */
export const HIDDEN_ENTRIES_REFUSAL =
  'The folder holds a FIFO, socket or device file the share does not show; nothing was changed. ' +
  'Remove it on the host first.';
