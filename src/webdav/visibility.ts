import { promises as fsp, type Dirent, type Stats } from 'node:fs';
import { isUploadTempName } from './atomic-file-writer';
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
  try {
    const target = await fsp.realpath(real);
    return isWithin(rootReal, target) ? await resolvedVisibleStats(target) : undefined;
  } catch {
    return undefined; // a dangling or looping link: not visible
  }
}
