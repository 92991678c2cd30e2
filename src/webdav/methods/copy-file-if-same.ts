import { constants, promises as fsp, type Stats } from 'node:fs';
import { O_PATH } from '../anchored-names';
import { descriptorPath, openedWithin, procFdsAvailable } from '../opened-within';
import { sameFile } from '../share-namespace';
import { isGone } from './tree-scan';

/**
 * Copies the regular file `seen` (its lstat) to a new name (never following a link there); false when the file
 * was removed or replaced by something else meanwhile. The source is opened without following a link and
 * without blocking, and copied only if the descriptor is that same regular file: the host can swap a FIFO in
 * between the lstat and the copy, and a copy that opened it by name blocked on it for good, holding the
 * namespace lock, so every request to the share hung (a reviewer's finding, session 28). The copy reads through
 * the descriptor's /proc name, which reopens that very file whatever its name now, so the kernel's copy
 * (copy_file_range, reflinks) still does the work. A file reached outside the share (`rootReal`) through a
 * folder the host swapped for a link is not copied either (opened-within.ts). The copy keeps the source's
 * permission bits, not its setuid, setgid or sticky bits.
 */
export async function copyFileIfSame(
  from: Buffer,
  to: Buffer | string,
  seen: Stats,
  rootReal: string,
): Promise<boolean> {
  let source: fsp.FileHandle;
  try {
    source = await fsp.open(from, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    // A link swapped in (ELOOP) or the file gone: as if the copy had begun after the change.
    if (isGone(error) || (error as NodeJS.ErrnoException).code === 'ELOOP') return false;
    throw error;
  }
  try {
    const opened = await source.stat();
    if (!opened.isFile() || !sameFile(opened, seen) || !openedWithin(rootReal, source.fd)) return false;
    // Without /proc (a container that hides it), by the path just checked: the swap check above stands alone.
    const reading = procFdsAvailable() ? descriptorPath(source.fd) : from;
    await fsp.copyFile(reading, to, constants.COPYFILE_EXCL);
    // The copy has the source's mode (libuv's copyfile sets it); only setuid, setgid and sticky bits are dropped.
    if ((seen.mode & 0o7000) !== 0) await setMode(to, seen.mode & 0o777);
    return true;
  } finally {
    await source.close();
  }
}

/**
 * Gives the copy just made its permission bits through a descriptor that only locates it (O_PATH: the copy's own
 * bits may not let us read it): chmod by name would follow a link the host put at the name since, and change
 * the mode of whatever it points to; through /proc/self/fd it changes the file the descriptor holds.
 */
async function setMode(copy: Buffer | string, mode: number): Promise<void> {
  if (!procFdsAvailable()) return fsp.chmod(copy, mode); // no O_PATH here either: the name just made
  const made = await fsp.open(copy, O_PATH | constants.O_NOFOLLOW);
  try {
    if ((await made.stat()).isFile()) await fsp.chmod(descriptorPath(made.fd), mode);
  } finally {
    await made.close();
  }
}
