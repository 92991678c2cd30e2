import { close, fstat, open, promises as fsp, type Dirent, type Stats } from 'node:fs';
import { O_PATH } from './anchored-names';
import { isUploadTempName } from './atomic-file-writer';
import type { FileCalls } from './file-calls';
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
 * Stats of `real` (a path resolved inside the share) if the guest may see it, read from a descriptor the
 * kernel names inside `rootReal`: what a PROPFIND shows of the resource it names. The lookup's own lstat
 * follows the folders before the last name as they are at that moment, and its realpath is another call: a
 * host program that swapped one of those folders for a link to outside between the two had the guest shown an
 * outside file's size and times (docs/security.md). The O_PATH open follows the path once, never blocks (not
 * even on a FIFO), and the name and the stats are both of what it reached. Without /proc, a stat of the path.
 */
export async function confinedVisibleStats(
  rootReal: string,
  real: string,
  calls: FileCalls,
): Promise<Stats | undefined> {
  if (!procFdsAvailable() || process.platform !== 'linux') return resolvedVisibleStats(real);
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
  if (procFdsAvailable() && process.platform === 'linux') return linkTargetStats(rootReal, real);
  try {
    const target = await fsp.realpath(real);
    return isWithin(rootReal, target) ? await resolvedVisibleStats(target) : undefined;
  } catch {
    return undefined; // a dangling or looping link: not visible
  }
}

/**
 * The stats of what the link at `link` leads to, if that is inside `rootReal` and visible: the link is followed
 * once, by an O_PATH open (which never blocks, not even on a FIFO), the kernel names what was reached
 * (/proc/self/fd), and the stats are that descriptor's. Resolving the link to a path and then stating the path
 * were two steps, and a host program that swapped a folder between them showed the guest an outside file's
 * size and times through a link inside the share (a reviewer's race: 682 of 2,533 listings, session 29).
 */
function linkTargetStats(rootReal: string, link: string): Promise<Stats | undefined> {
  return new Promise((resolve) =>
    open(link, O_PATH, (error, fd) => {
      if (error !== null) return resolve(undefined); // a dangling or looping link: not visible
      const named = openedPath(fd);
      if (named === undefined || !isWithin(rootReal, named.toString())) {
        close(fd, () => resolve(undefined));
        return;
      }
      fstat(fd, (statError, stats) =>
        close(fd, () => resolve(statError === null && isVisibleType(stats) ? stats : undefined)),
      );
    }),
  );
}
