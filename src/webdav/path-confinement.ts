import type { Stats } from 'node:fs';
import * as path from 'node:path';
import { poolFileCalls, type FileCalls } from './file-calls';

/**
 * Where a share path lives on disk, decided by the real file system rather than by string rules:
 * the realpath of the longest existing prefix must stay inside realpath(root), so a symlink whose target
 * leaves the share is refused while one that stays inside works.
 *
 * `real` is the fully resolved location (follow it to read, stat, list or write content);
 * `entry` is the directory entry itself with only its parent resolved (unlink or rename it, so deleting a
 * symlink removes the link, not its target). For a name that does not exist yet both are the same.
 *
 * The answer holds only while nothing changes the tree: callers resolve and act under the share's namespace
 * lock (share-namespace.ts), which orders the guest's requests. A process on the host that swaps a directory
 * for a symlink between the check and the use could still slip past; the guest cannot create, move or copy
 * symlinks.
 */
export type Location =
  | {
      readonly kind: 'inside';
      readonly real: string;
      readonly entry: string;
      readonly exists: boolean;
      /**
       * The entry's own stats when they were read on the way (it exists and is no symbolic link, so they
       * are also the stats of `real`); undefined otherwise. They save callers a stat of their own.
       */
      readonly stats?: Stats;
    }
  | { readonly kind: 'outside' };

const OUTSIDE: Location = { kind: 'outside' };

export function isWithin(rootReal: string, candidate: string): boolean {
  return (
    candidate === rootReal ||
    candidate.startsWith(rootReal.endsWith(path.sep) ? rootReal : rootReal + path.sep)
  );
}

/**
 * Two calls to the file system for the common cases, through `calls` (each a trip to libuv's thread pool,
 * made together so their answers can reach the event loop in one wake-up; or both on the loop): an lstat of
 * the leaf as named (the kernel follows the names before it) and the realpath of its folder. A leaf that is there and is no link is then
 * `realpath(folder)/leaf`, its entry and its real path at once; a missing leaf's entry is the same. A leaf
 * that is a link, or a folder that is missing, takes the long way, which resolves the entry and its target
 * apart.
 */
export async function locateInShare(
  rootReal: string,
  segments: readonly string[],
  calls: FileCalls = poolFileCalls,
): Promise<Location> {
  if (segments.length === 0) return { kind: 'inside', real: rootReal, entry: rootReal, exists: true };
  const folderSegments = segments.slice(0, -1);
  const [leaf, folder] = await Promise.all([
    calls.lstat(path.join(rootReal, ...segments)),
    calls.realpath(path.join(rootReal, ...folderSegments)),
  ]);
  if (folder.kind === 'missing') {
    if (leaf !== undefined) return locateThroughLink(rootReal, segments, calls); // changed meanwhile: the long way
    const parentReal = await resolveExistingPrefix(rootReal, folderSegments, calls);
    if (parentReal === undefined) return OUTSIDE;
    const entry = path.join(parentReal, segments[segments.length - 1] ?? '');
    return { kind: 'inside', real: entry, entry, exists: false };
  }
  if (!isWithin(rootReal, folder.path)) return OUTSIDE;
  if (leaf?.isSymbolicLink() === true) return locateThroughLink(rootReal, segments, calls);
  const entry = path.join(folder.path, segments[segments.length - 1] ?? '');
  return leaf === undefined
    ? { kind: 'inside', real: entry, entry, exists: false }
    : { kind: 'inside', real: entry, entry, exists: true, stats: leaf };
}

/** The long way, for a leaf that is a symbolic link: the entry has its folder resolved, `real` its target. */
async function locateThroughLink(
  rootReal: string,
  segments: readonly string[],
  calls: FileCalls,
): Promise<Location> {
  const parentReal = await resolveExistingPrefix(rootReal, segments.slice(0, -1), calls);
  if (parentReal === undefined) return OUTSIDE;
  const entry = path.join(parentReal, segments[segments.length - 1] ?? '');
  const leaf = await calls.realpath(entry);
  if (leaf.kind === 'missing') {
    // A dangling symlink also reads as missing to realpath; writing through it would create its target.
    return (await calls.isPresent(entry)) ? OUTSIDE : { kind: 'inside', real: entry, entry, exists: false };
  }
  return isWithin(rootReal, leaf.path) ? { kind: 'inside', real: leaf.path, entry, exists: true } : OUTSIDE;
}

/**
 * Realpath of the longest existing prefix plus the remaining names, or undefined if it leaves the root or a
 * name on the way is a dangling link. realpath finds a prefix only if it finds every shorter one, so the
 * longest is found by a binary search (after the two usual answers, the whole and all but its last name):
 * a guest's path of 2,000 missing names costs a dozen calls, not 4,000 calls on paths of up to 2,000 names.
 * Only the name just past it can be a dangling link (a longer prefix has a missing name before its last).
 */
async function resolveExistingPrefix(
  rootReal: string,
  segments: readonly string[],
  calls: FileCalls,
): Promise<string | undefined> {
  const prefix = (count: number): string => path.join(rootReal, ...segments.slice(0, count));
  let longest: { count: number; real: string } | undefined;
  const tryPrefix = async (count: number): Promise<boolean> => {
    const resolved = await calls.realpath(prefix(count));
    if (resolved.kind === 'missing') return false;
    longest = { count, real: resolved.path };
    return true;
  };
  const all = segments.length;
  if (!(await tryPrefix(all)) && (all === 0 || !(await tryPrefix(all - 1)))) {
    // Every prefix longer than `high` names is missing; the one of `low - 1` names (when low > 0) resolves.
    let low = 0;
    let high = all - 2;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (await tryPrefix(middle)) low = middle + 1;
      else high = middle - 1;
    }
  }
  if (longest === undefined) return undefined; // not even the root
  if (longest.count < all && (await calls.isPresent(prefix(longest.count + 1)))) return undefined; // dangling link
  if (!isWithin(rootReal, longest.real)) return undefined;
  return path.join(longest.real, ...segments.slice(longest.count));
}
