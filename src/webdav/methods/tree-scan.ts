import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { isTempName } from '../share-temp-files';

export interface TreeBudget {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** True once the guest is gone: the scan stops. */
  readonly cancelled: () => boolean;
}

export type TreeScan =
  | { readonly kind: 'fits'; readonly entries: number; readonly bytes: number }
  | { readonly kind: 'link'; readonly at: string }
  | { readonly kind: 'over-budget' }
  | { readonly kind: 'cancelled' };

/**
 * Walks a tree without following any link (lstat only), counting entries and regular-file bytes, and stops
 * at the first symbolic link, at the budget, or when the guest leaves. `deep: false` looks at the top entry
 * only (COPY Depth 0). Our temp files are neither counted nor looked into.
 */
export async function scanTree(top: string, deep: boolean, budget: TreeBudget): Promise<TreeScan> {
  let entries = 0;
  let bytes = 0;
  const pending = [top];
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    if (budget.cancelled()) return { kind: 'cancelled' };
    const stats = await fsp.lstat(current);
    if (stats.isSymbolicLink()) return { kind: 'link', at: current };
    entries++;
    if (stats.isFile()) bytes += stats.size;
    if (entries > budget.maxEntries || bytes > budget.maxBytes) return { kind: 'over-budget' };
    if (!stats.isDirectory() || !deep) continue;
    for (const name of await fsp.readdir(current))
      if (!isTempName(name)) pending.push(path.join(current, name));
  }
  return { kind: 'fits', entries, bytes };
}
