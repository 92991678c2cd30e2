import { existsSync, readlinkSync } from 'node:fs';

let procFds: boolean | undefined;

/**
 * Whether the file behind an open descriptor lies inside the share, by the kernel's own name for it
 * (/proc/self/fd). Resolving a path and opening it are two steps, and the namespace lock keeps guest requests
 * out between them, not the host: a host program that swaps a folder of the share for a link to elsewhere in
 * between makes the open reach outside, and the descriptor's own checks (no link at the last name, the same
 * file the path named) agree with it, since both went through the swapped folder. A reviewer's host race
 * read files outside the share (session 28); calls that change names go through checked folders instead
 * (anchored-names.ts). True where /proc is missing (nothing to ask: the path checks stand alone).
 */
export function openedWithin(rootReal: string, fd: number): boolean {
  if (!procFdsAvailable()) return true;
  const named = openedPath(fd);
  if (named === undefined) return false;
  const root = Buffer.from(rootReal.endsWith('/') ? rootReal : rootReal + '/');
  return named.length > root.length && named.subarray(0, root.length).equals(root);
}

/** Whether this process can name its descriptors through /proc/self/fd (not where /proc is not mounted). */
export function procFdsAvailable(): boolean {
  procFds ??= existsSync('/proc/self/fd');
  return procFds;
}

/**
 * A path that reaches the very file or folder open at `fd`, whatever its name now: the kernel resolves
 * /proc/self/fd/N to what the descriptor holds, not by name.
 */
export function descriptorPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** Where the kernel says an open descriptor's file is now (its path, as bytes), if it can say. */
export function openedPath(fd: number): Buffer | undefined {
  try {
    return readlinkSync(descriptorPath(fd), { encoding: 'buffer' });
  } catch {
    return undefined;
  }
}
