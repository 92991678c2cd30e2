import { closeSync, constants, lstatSync, open, openSync } from 'node:fs';
import { pathBelow } from './byte-path';
import { descriptorPath, openedPath, procFdsAvailable } from './opened-within';

/**
 * The code of the error a call on an anchored name fails with when the folder its path names is not the
 * folder the path reached (a folder on the way was swapped for a link meanwhile); fileSystemRefusal answers
 * it with 409.
 */
export const FOLDER_SWAPPED = 'EFOLDERSWAPPED';

/**
 * Linux's O_PATH (Node's constants leave it out): a descriptor that only locates the folder. Opened for reading
 * instead, a folder the share may write but not list (a drop box, mode 0333) refused every change in it (a
 * reviewer's finding); a path through /proc/self/fd/N works the same either way.
 */
export const O_PATH = process.platform === 'linux' ? 0o10000000 : constants.O_RDONLY;

/** Opens a folder only to locate it, never through a link at its own name; close-on-exec as Node opens all. */
export const FOLDER_FLAGS = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * The longest path the kernel takes (PATH_MAX, 4096 with its NUL). A path through /proc/self/fd/N is short
 * whatever the folder's own path: the calls that went by path refused a longer one (ENAMETOOLONG: 414), and so
 * must these, or the guest makes names no later request can reach or remove (a reviewer's finding).
 */
const PATH_MAX_BYTES = 4095;

const SLASH = 0x2f;

/**
 * A path that reaches `name` in the folder open at `fd` whatever the folder's path is now: the kernel resolves
 * /proc/self/fd/N to the very folder the descriptor holds, then looks up the one name in it, as renameat(2),
 * unlinkat(2) and mkdirat(2) would. Node has none of the *at calls; this gives their guarantee to every call
 * that takes a path.
 */
export function nameAt(fd: number, name: Buffer): Buffer {
  return pathBelow(Buffer.from(descriptorPath(fd)), name);
}

/** The folder part and the last name of a path (as bytes: names on disk need not be UTF-8). */
export function splitLast(real: string | Buffer): { folder: Buffer; name: Buffer } {
  const bytes = typeof real === 'string' ? Buffer.from(real) : real;
  if (bytes.length > PATH_MAX_BYTES) throw pathTooLong(bytes);
  const slash = bytes.lastIndexOf(SLASH);
  return {
    folder: slash <= 0 ? Buffer.from('/') : bytes.subarray(0, slash),
    name: bytes.subarray(slash + 1),
  };
}

function pathTooLong(bytes: Buffer): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `a path of ${bytes.length} bytes, longer than the host allows`,
  );
  error.code = 'ENAMETOOLONG';
  return error;
}

export function folderSwapped(folder: Buffer): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(
    `${folder.toString()} is no longer the folder it was (replaced on the host meanwhile)`,
  );
  error.code = FOLDER_SWAPPED;
  return error;
}

/**
 * Whether the folder open at `fd` is the one at `folder`, by the kernel's own name for it. The path came from
 * realpath under the namespace lock, which orders guest requests, not the host: a host program that swaps a
 * folder on the way for a link to elsewhere makes the open reach elsewhere (a reviewer's race moved and
 * deleted files outside the share this way, session 28), and the kernel then names the descriptor by where it
 * really is.
 */
function isFolderAt(fd: number, folder: Buffer): boolean {
  return openedPath(fd)?.equals(folder) === true;
}

function checkOpened(fd: number, folder: Buffer): number {
  if (isFolderAt(fd, folder)) return fd;
  closeSync(fd);
  throw folderSwapped(folder);
}

/**
 * Why a folder could not be opened: a link now at its own name is the host's swap (the kernel says ENOTDIR
 * for O_DIRECTORY with O_NOFOLLOW, ELOOP on some systems); anything else, such as a file at the name or no
 * folder at all, is the error itself (409 "create it first" and the like).
 */
function openFailure(error: NodeJS.ErrnoException, folder: Buffer): NodeJS.ErrnoException {
  if (error.code !== 'ENOTDIR' && error.code !== 'ELOOP') return error;
  try {
    return lstatSync(folder, { throwIfNoEntry: false })?.isSymbolicLink() === true
      ? folderSwapped(folder)
      : error;
  } catch {
    // A name on the way is a file (ENOTDIR again), or the like: the open's own error says it. This runs in a
    // callback of the thread pool, where an exception would end the process (a reviewer's finding).
    return error;
  }
}

/** Opens the folder at the real path `folder` and checks that it is that folder (FOLDER_SWAPPED if not). */
export function openCheckedFolderSync(folder: Buffer): number {
  let fd: number;
  try {
    fd = openSync(folder, FOLDER_FLAGS);
  } catch (error) {
    throw openFailure(error as NodeJS.ErrnoException, folder);
  }
  return checkOpened(fd, folder);
}

export function openCheckedFolder(folder: Buffer): Promise<number> {
  return new Promise((resolve, reject) =>
    open(folder, FOLDER_FLAGS, (error, fd) => {
      if (error !== null) reject(openFailure(error, folder));
      else {
        try {
          resolve(checkOpened(fd, folder));
        } catch (swapped) {
          reject(swapped as Error);
        }
      }
    }),
  );
}

/**
 * Makes `call` on the name of `real` (a path the caller confined to the share) through its folder, opened and
 * checked first: the call changes that folder or fails, and never reaches through a folder the host swapped
 * for a link meanwhile. Where /proc is not mounted, by the path itself (the checks before stand alone).
 */
export function atNameSync<T>(real: string | Buffer, call: (at: Buffer | string) => T): T {
  if (!procFdsAvailable()) return call(real);
  const { folder, name } = splitLast(real);
  const fd = openCheckedFolderSync(folder);
  try {
    return call(nameAt(fd, name));
  } finally {
    closeSync(fd);
  }
}

/**
 * atNameSync for two names (a rename): each through its own checked folder, one open of it when both names are
 * in the same folder (an upload's temp file and its target always are).
 */
export function atNamesSync<T>(
  first: string | Buffer,
  second: string | Buffer,
  call: (firstAt: Buffer | string, secondAt: Buffer | string) => T,
): T {
  if (!procFdsAvailable()) return call(first, second);
  const one = splitLast(first);
  const two = splitLast(second);
  if (!one.folder.equals(two.folder))
    return atNameSync(first, (firstAt) => atNameSync(second, (secondAt) => call(firstAt, secondAt)));
  const fd = openCheckedFolderSync(one.folder);
  try {
    return call(nameAt(fd, one.name), nameAt(fd, two.name));
  } finally {
    closeSync(fd);
  }
}

/** A folder held open and checked: `here` reaches it (and, with `/name`, its entries) until `close`. */
export interface HeldFolder {
  readonly here: Buffer;
  close(): void;
}

/**
 * Opens the folder at the real path `folder` (through the thread pool) and checks it is that folder
 * (FOLDER_SWAPPED if not). Where /proc is not mounted, the path itself.
 */
export async function holdCheckedFolder(folder: Buffer): Promise<HeldFolder> {
  if (!procFdsAvailable()) return { here: folder, close: () => undefined };
  const fd = await openCheckedFolder(folder);
  return { here: Buffer.from(descriptorPath(fd)), close: () => closeSync(fd) };
}

/**
 * Runs `use` with a path that reaches the folder at the real path `folder` itself, held and checked
 * (holdCheckedFolder): a listing through it lists that folder, never one the host swapped in for it.
 */
export async function inCheckedFolder<T>(folder: Buffer, use: (here: Buffer) => Promise<T>): Promise<T> {
  const held = await holdCheckedFolder(folder);
  try {
    return await use(held.here);
  } finally {
    held.close();
  }
}

/** atNameSync with the folder opened through the thread pool, for callers whose calls go there too. */
export async function atName<T>(
  real: string | Buffer,
  call: (at: Buffer | string) => Promise<T>,
): Promise<T> {
  if (!procFdsAvailable()) return call(real);
  const { folder, name } = splitLast(real);
  return inCheckedFolder(folder, (here) => call(pathBelow(here, name)));
}

/** atNamesSync through the thread pool. */
export async function atNames<T>(
  first: string | Buffer,
  second: string | Buffer,
  call: (firstAt: Buffer | string, secondAt: Buffer | string) => Promise<T>,
): Promise<T> {
  if (!procFdsAvailable()) return call(first, second);
  const one = splitLast(first);
  const two = splitLast(second);
  if (!one.folder.equals(two.folder))
    return atName(first, (firstAt) => atName(second, (secondAt) => call(firstAt, secondAt)));
  return inCheckedFolder(one.folder, (here) => call(pathBelow(here, one.name), pathBelow(here, two.name)));
}

/**
 * atName for a walk that makes many names one folder after another (a COPY's staging): the folder of the last
 * name is kept open and checked once, and names in it go through it; the next folder closes it.
 */
export class CheckedFolders {
  private held: { readonly folder: Buffer; readonly fd: number } | undefined;

  async at<T>(real: Buffer, call: (at: Buffer) => Promise<T>): Promise<T> {
    if (!procFdsAvailable()) return call(real);
    const { folder, name } = splitLast(real);
    if (this.held?.folder.equals(folder) !== true) {
      this.close();
      this.held = { folder: Buffer.from(folder), fd: await openCheckedFolder(folder) };
    }
    return call(nameAt(this.held.fd, name));
  }

  close(): void {
    if (this.held !== undefined) closeSync(this.held.fd);
    this.held = undefined;
  }
}
