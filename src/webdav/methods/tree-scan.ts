import { promises as fsp, type Dirent, type Stats } from 'node:fs';
import { openByteNamed, pathBelow } from '../byte-path';
import { isTempName, TEMP_NAME_BYTES } from '../share-temp-files';
import { TreeWalk } from './tree-walk';

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
  /** Paths in it are longer than the host lets a program name (made on the host, below PATH_MAX's reach). */
  | { readonly kind: 'too-deep' }
  | { readonly kind: 'cancelled' };

/**
 * Walks a tree without following any link (lstat only), counting entries and regular-file bytes, and stops
 * at the first symbolic link, at the budget, or when the guest leaves. `deep: false` looks at the top entry
 * only (COPY Depth 0). Our temp files are neither counted nor looked into; an entry removed on the host
 * while the walk goes on is not counted either.
 *
 * Paths are bytes (byte-path.ts): a name that is not UTF-8 is no request's and no listing shows it, but a
 * move or copy of its folder takes it along, so it is looked at like any other.
 */
export async function scanTree(top: string, deep: boolean, budget: TreeBudget): Promise<TreeScan> {
  let entries = 0;
  let bytes = 0;
  let longest = 0;
  const topPath = Buffer.from(top);
  const walk = new TreeWalk(topPath);
  for (let current = walk.next(); current !== undefined; current = walk.next()) {
    if (budget.cancelled()) return { kind: 'cancelled' };
    if (current.length > PATH_MAX_BYTES) return { kind: 'too-deep' };
    const stats = await lstatIfThere(current);
    if (stats === undefined) continue;
    if (stats.isSymbolicLink()) return { kind: 'link', at: current.toString() };
    entries++;
    longest = Math.max(longest, current.length - topPath.length);
    if (stats.isFile()) bytes += stats.size;
    if (entries > budget.maxEntries || bytes > budget.maxBytes) return { kind: 'over-budget' };
    if (!stats.isDirectory() || !deep) continue;
    walk.enter(current, await entryNames(current));
  }
  return { kind: 'fits', entries, bytes, longest };
}

/**
 * MOVE's walk: scanTree with no byte budget, judged from the types the folder reads report instead of an lstat
 * of each entry (an entry whose type the file system does not report is lstat'ed). Only folders are entered.
 * A MOVE of a folder of 100,000 files took 4.6 s of one lstat each through the thread pool before it was
 * refused (507), under the exclusive lock, and the guest could ask again (an attacker's finding, session 28).
 */
export async function scanForMove(
  top: string,
  budget: Pick<TreeBudget, 'maxEntries' | 'cancelled'>,
): Promise<TreeScan> {
  const topPath = Buffer.from(top);
  let entries = 1; // the top
  let longest = 0;
  const walk = new TreeWalk(topPath); // only folders are entered, so only folders come out
  for (let folder = walk.next(); folder !== undefined; folder = walk.next()) {
    if (folder.length > PATH_MAX_BYTES) return { kind: 'too-deep' };
    const dir = await openIfThere(folder);
    if (dir === undefined) continue; // removed on the host meanwhile
    const subfolders: string[] = [];
    for await (const entry of dir) {
      // Leaving the loop early closes the folder.
      if (budget.cancelled()) return { kind: 'cancelled' };
      const name = entry.name.toString('latin1');
      if (isTempName(name)) continue;
      const type = hasType(entry) ? entry : await lstatIfThere(pathBelow(folder, entry.name));
      if (type === undefined) continue; // gone meanwhile
      if (type.isSymbolicLink()) return { kind: 'link', at: pathBelow(folder, entry.name).toString() };
      if (++entries > budget.maxEntries) return { kind: 'over-budget' };
      const below = folder.length - topPath.length + 1 + entry.name.length;
      if (topPath.length + below > PATH_MAX_BYTES) return { kind: 'too-deep' };
      longest = Math.max(longest, below);
      if (type.isDirectory()) subfolders.push(name);
    }
    walk.enter(folder, subfolders);
  }
  return { kind: 'fits', entries, bytes: 0, longest };
}

/** Whether readdir told the entry's type (some file systems report none: DT_UNKNOWN). */
function hasType(entry: Dirent<Buffer>): boolean {
  return (
    entry.isFile() ||
    entry.isDirectory() ||
    entry.isSymbolicLink() ||
    entry.isFIFO() ||
    entry.isSocket() ||
    entry.isBlockDevice() ||
    entry.isCharacterDevice()
  );
}

/** openByteNamed, or undefined when the folder is gone (removed, or replaced by a file, on the host). */
export async function openIfThere(folder: Buffer): Promise<AsyncIterable<Dirent<Buffer>> | undefined> {
  try {
    return await openByteNamed(folder);
  } catch (error) {
    if (isGone(error)) return undefined;
    throw error;
  }
}

/**
 * Whether an error means the entry is gone: removed (or its folder replaced by a file) on the host since
 * its folder was read. Not a path too long or a loop: a walk that cannot reach an entry must not pass over it.
 */
export function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The entry's lstat, or undefined when it is gone. */
export async function lstatIfThere(entry: Buffer): Promise<Stats | undefined> {
  try {
    return await fsp.lstat(entry);
  } catch (error) {
    if (isGone(error)) return undefined;
    throw error;
  }
}

/**
 * The names in a folder, each its bytes on disk read as Latin-1 (one character per byte: exact both ways, and
 * compact; tree-walk.ts), without our temp names; none when it is gone.
 */
export async function entryNames(folder: Buffer): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp.readdir(folder, { encoding: 'latin1' });
  } catch (error) {
    if (isGone(error)) return [];
    throw error;
  }
  // Temp names are ASCII, so the Latin-1 reading of any name starts with their prefix exactly when it does.
  return names.filter((name) => !isTempName(name));
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
