import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { isTempName, TEMP_NAME_BYTES } from '../share-temp-files';

export interface TreeBudget {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** True once the guest is gone: the scan stops. */
  readonly cancelled: () => boolean;
}

export type TreeScan =
  | {
      readonly kind: 'fits';
      readonly entries: number;
      readonly bytes: number;
      /** Bytes of the longest path below the top, relative to it ("/a/b": 4); 0 for the top alone. */
      readonly longest: number;
    }
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
  let longest = 0;
  const topBytes = Buffer.byteLength(top);
  const pending = [top];
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    if (budget.cancelled()) return { kind: 'cancelled' };
    const stats = await fsp.lstat(current);
    if (stats.isSymbolicLink()) return { kind: 'link', at: current };
    entries++;
    longest = Math.max(longest, Buffer.byteLength(current) - topBytes);
    if (stats.isFile()) bytes += stats.size;
    if (entries > budget.maxEntries || bytes > budget.maxBytes) return { kind: 'over-budget' };
    if (!stats.isDirectory() || !deep) continue;
    for (const name of await fsp.readdir(current))
      if (!isTempName(name)) pending.push(path.join(current, name));
  }
  return { kind: 'fits', entries, bytes, longest };
}

/** The longest path the kernel takes (PATH_MAX, 4096 with its NUL). */
const PATH_MAX_BYTES = 4095;

/**
 * True if a tree whose longest relative path is `longest` fits at `top` with room left for one of our temp
 * names in its deepest folder. Past PATH_MAX nothing below can be opened, listed, deleted or cleaned up by
 * path, so an upload in flight there would leave its temp file behind: a MOVE or COPY must not put it there.
 */
export function fitsBelowPathMax(top: string, longest: number): boolean {
  return Buffer.byteLength(top) + longest + 1 + TEMP_NAME_BYTES <= PATH_MAX_BYTES;
}
