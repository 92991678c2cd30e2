import { promises as fsp, type Dirent, type Stats } from 'node:fs';
import { O_PATH } from './anchored-names';
import { isUploadTempName } from './atomic-file-writer';
import { poolFileCalls, type FileCalls } from './file-calls';
import { openedPath, procFdsAvailable } from './opened-within';
import { isWithin, type Location } from './path-confinement';
import { lstatOrUndefined, statOrUndefined } from './stat-or-undefined';

/**
 * The one rule for what a guest may see of a share: regular files and folders, and symbolic links to
 * those that stay inside the share (path-confinement.ts); never FIFOs, sockets or devices (reading them
 * would hang or leak), nor our upload temp files.
 */
export function isVisibleType(stats: Stats): boolean {
  return stats.isFile() || stats.isDirectory();
}

/** Stats of a path already resolved inside the share (a Location's `real`) if the guest may see it. */
export async function resolvedVisibleStats(real: string): Promise<Stats | undefined> {
  const stats = await statOrUndefined(real); // undefined: gone meanwhile, or unreadable, so not visible
  return stats !== undefined && isVisibleType(stats) ? stats : undefined;
}

/**
 * Stats of what `real` leads to if it is inside `rootReal` and visible, read from a descriptor the kernel names
 * inside `rootReal`: the path is followed once, by an O_PATH open (which never blocks, not even on a FIFO), the
 * kernel names what was reached (/proc/self/fd), and the stats are that descriptor's. Two calls on the path
 * (resolve, then stat; or a lookup's lstat beside its realpath) left room for a host program to swap a folder
 * between them and show the guest an outside file's size and times: through a listed link (a reviewer's race,
 * 682 of 2,533 listings, session 29) and through the resource a PROPFIND names (session 32). Without /proc, the
 * path resolved and checked, then stat'ed: two steps again, the best a system without /proc allows.
 */
export async function confinedVisibleStats(
  rootReal: string,
  real: string,
  calls: FileCalls,
): Promise<Stats | undefined> {
  if (!procFdsAvailable() || process.platform !== 'linux') return resolvedInsideStats(rootReal, real);
  let fd: number;
  try {
    fd = await calls.open(real, O_PATH);
  } catch {
    return undefined; // gone meanwhile: not visible
  }
  try {
    const named = openedPath(fd);
    if (named === undefined || !isWithin(rootReal, named.toString())) return undefined;
    const stats = await calls.fstat(fd);
    return isVisibleType(stats) ? stats : undefined;
  } catch {
    return undefined;
  } finally {
    calls.close(fd).catch(() => undefined);
  }
}

/**
 * Stats of a located path if the guest may see it: those read while resolving it when there are some (the
 * entry is no link, so they are the target's), else a stat of `real`.
 */
export async function locatedVisibleStats(location: Location): Promise<Stats | undefined> {
  if (location.kind === 'outside' || !location.exists) return undefined;
  if (location.stats === undefined) return resolvedVisibleStats(location.real);
  return isVisibleType(location.stats) ? location.stats : undefined;
}

/**
 * Stats of a folder's entry (listed with `dirent`) if the guest may see it: the rule above, with a link
 * followed only when its target stays inside `rootReal`.
 */
export async function visibleStats(
  rootReal: string,
  real: string,
  dirent: Dirent,
): Promise<Stats | undefined> {
  if (isUploadTempName(dirent.name)) return undefined;
  if (dirent.isFile() || dirent.isDirectory()) {
    // Its own stats: a link the host put at the name since the folder was read is judged as a link below,
    // not followed to wherever it leads (its target's size and times would reach the guest).
    const own = await lstatOrUndefined(real);
    if (own === undefined) return undefined;
    if (!own.isSymbolicLink()) return isVisibleType(own) ? own : undefined;
  } else if (!dirent.isSymbolicLink()) return undefined;
  return confinedVisibleStats(rootReal, real, poolFileCalls);
}

/** `confinedVisibleStats` without /proc: `real` resolved, checked to be inside `rootReal`, then stat'ed. */
async function resolvedInsideStats(rootReal: string, real: string): Promise<Stats | undefined> {
  try {
    const target = await fsp.realpath(real);
    return isWithin(rootReal, target) ? await resolvedVisibleStats(target) : undefined;
  } catch {
    return undefined; // gone, or a dangling or looping link: not visible
  }
}
