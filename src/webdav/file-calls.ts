import {
  access,
  accessSync,
  close,
  constants as fsConstants,
  closeSync,
  fchmod,
  fchmodSync,
  fstat,
  fstatSync,
  lstat,
  lstatSync,
  open,
  openSync,
  read,
  readSync,
  realpath,
  realpathSync,
  rename,
  renameSync,
  unlink,
  unlinkSync,
  write,
  writeSync,
  type Stats,
} from 'node:fs';
import { atName, atNames, atNameSync, atNamesSync } from './anchored-names';
import { loopTreeCalls, poolTreeCalls, removeTree, type TreeCalls } from './remove-tree';

export type Realpath = { kind: 'found'; path: string } | { kind: 'missing' };

/**
 * The calls on names and small files a request makes before its answer can leave (resolve the name, open,
 * check, read a small file, close; for a small upload create, write, rename), in one of two forms with the
 * same answers:
 *
 * - `poolFileCalls`: each call one trip to libuv's thread pool and back. Every trip wakes the event loop once
 *   more: a small GET made six, and on a machine where QEMU keeps the other cores busy each wake-up waits for
 *   a CPU and finds the caches cold (docs/performance.md, "Latest results (end of session 16)").
 * - `directFileCalls`: the same calls made on the event loop, as nginx makes its open() and fstat(). On a
 *   local file system they take microseconds, and a small GET is answered in the wake-up its request came in.
 *   A call that waits on a network or a FUSE daemon would stop every connection meanwhile, so they are used
 *   only where the mount table says the whole share is local (local-mounts.ts).
 *
 * Large reads always go to the pool (file-response.ts): a cold disk's 3 MiB is milliseconds.
 */
export interface FileCalls {
  /** The entry's lstat, or undefined when nothing is there (or a name before it is no folder). */
  lstat(candidate: string): Promise<Stats | undefined>;
  /** realpath(3), or missing. */
  realpath(candidate: string): Promise<Realpath>;
  /** Whether anything (a dangling link too) is at the name. */
  isPresent(candidate: string): Promise<boolean>;
  /**
   * Whether this process may write the file at `real` (access(2) with W_OK): false for a file the host made
   * read-only (or another user's). Any other failure is thrown.
   */
  isWritable(real: string): Promise<boolean>;
  open(real: string, flags: number | string, mode?: number): Promise<number>;
  /**
   * Creates the file `real` for writing (O_EXCL: never through a link at the name), through its checked folder
   * as rename: never outside the share, whatever the host swapped meanwhile.
   */
  create(real: string, mode: number): Promise<number>;
  fstat(fd: number): Promise<Stats>;
  read(fd: number, buffer: Buffer, length: number, position: number): Promise<number>;
  /** Writes from `buffer[offset]` to the file at `position`; resolves with the bytes written (maybe fewer). */
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  fchmod(fd: number, mode: number): Promise<void>;
  close(fd: number): Promise<void>;
  /**
   * rename(2) of two real paths, each name through its folder opened and checked first (anchored-names.ts):
   * a folder the host swapped for a link meanwhile fails the call, rather than moving a file outside.
   */
  rename(from: string, to: string): Promise<void>;
  /** unlink(2) of a real path, through its checked folder as rename. */
  unlink(real: string): Promise<void>;
  /**
   * Removes a folder and everything in it, never following a link; one that is gone already is no error:
   * removeTree (remove-tree.ts), which holds every folder it enters open, its calls made as the rest.
   */
  removeFolder(real: string): Promise<void>;
  /** The calls of a walk through a folder tree (remove-tree.ts), made as the rest: for a check before a removal. */
  readonly tree: TreeCalls;
}

/** Writes the whole buffer from the descriptor's offset 0, going on after a short write (a nearly full disk). */
export async function writeAll(calls: FileCalls, fd: number, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length;) {
    const written = await calls.write(fd, data, done, data.length - done, done);
    if (written === 0) throw new Error('the file system accepted none of the upload');
    done += written;
  }
}

/** A callback that settles a promise with no value. */
function done(resolve: () => void, reject: (error: Error) => void) {
  return (error: NodeJS.ErrnoException | null): void => (error === null ? resolve() : reject(error));
}

/** A callback that settles a promise with the call's value. */
function valued<T>(resolve: (value: T) => void, reject: (error: Error) => void) {
  return (error: NodeJS.ErrnoException | null, value: T): void =>
    error === null ? resolve(value) : reject(error);
}

/**
 * Errors that mean "nothing (reachable) at this name" to realpath and lstat alike. A path longer than the
 * host allows (4,096 bytes, ENAMETOOLONG) names nothing either: a GET of one is a 404, not a fault, and a PUT
 * of one is refused when its file cannot be created (414).
 */
export function isMissing(error: NodeJS.ErrnoException): boolean {
  return (
    error.code === 'ENOENT' ||
    error.code === 'ENOTDIR' ||
    error.code === 'ELOOP' ||
    error.code === 'ENAMETOOLONG'
  );
}

// The callback forms of fs: each call is one trip to libuv's thread pool either way, but the promise forms
// cost more on the main thread per call (see stat-or-undefined.ts).
export const poolFileCalls: FileCalls = {
  lstat: (candidate) =>
    new Promise((resolve, reject) =>
      lstat(candidate, (error, stats) => {
        if (error === null) resolve(stats);
        else if (isMissing(error)) resolve(undefined);
        else reject(error);
      }),
    ),
  realpath: (candidate) =>
    new Promise((resolve, reject) =>
      realpath.native(candidate, (error, resolved) => {
        if (error === null) resolve({ kind: 'found', path: resolved });
        else if (isMissing(error)) resolve({ kind: 'missing' });
        else reject(error);
      }),
    ),
  isPresent: (candidate) => new Promise((resolve) => lstat(candidate, (error) => resolve(error === null))),
  isWritable: (real) =>
    new Promise((resolve, reject) =>
      access(real, fsConstants.W_OK, (error) => {
        if (error === null) resolve(true);
        else if (isRefusedWrite(error)) resolve(false);
        else reject(error);
      }),
    ),
  open: (real, flags, mode) =>
    new Promise((resolve, reject) => open(real, flags, mode, valued(resolve, reject))),
  create: (real, mode) =>
    atName(real, (at) => new Promise((resolve, reject) => open(at, 'wx', mode, valued(resolve, reject)))),
  fstat: (fd) => new Promise((resolve, reject) => fstat(fd, valued(resolve, reject))),
  read: (fd, buffer, length, position) =>
    new Promise((resolve, reject) => read(fd, buffer, 0, length, position, valued(resolve, reject))),
  write: (fd, buffer, offset, length, position) =>
    new Promise((resolve, reject) => write(fd, buffer, offset, length, position, valued(resolve, reject))),
  fchmod: (fd, mode) => new Promise((resolve, reject) => fchmod(fd, mode, done(resolve, reject))),
  close: (fd) => new Promise((resolve, reject) => close(fd, done(resolve, reject))),
  rename: (from, to) =>
    atNames(
      from,
      to,
      (fromAt, toAt) => new Promise((resolve, reject) => rename(fromAt, toAt, done(resolve, reject))),
    ),
  unlink: (real) => atName(real, (at) => new Promise((resolve, reject) => unlink(at, done(resolve, reject)))),
  // A folder gone already: done, as removeTree.
  removeFolder: (real) => removeTree(real, poolTreeCalls),
  tree: poolTreeCalls,
};

/** Errors that mean the host does not let this process at an entry: permissions (mode, owner, immutable). */
export function isAccessRefusal(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

/** access(2)'s answers for a file this process may not write: no permission, or a read-only file system. */
function isRefusedWrite(error: NodeJS.ErrnoException): boolean {
  return isAccessRefusal(error) || error.code === 'EROFS';
}

/** A synchronous call's result or error as a settled promise, so callers are the same for both forms. */
function settled<T>(call: () => T): Promise<T> {
  try {
    return Promise.resolve(call());
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

/** lstatSync answers undefined for a missing name instead of throwing (one object, not one per call). */
const UNDEFINED_IF_MISSING = { throwIfNoEntry: false } as const;

export const directFileCalls: FileCalls = {
  lstat: (candidate) =>
    settled(() => {
      try {
        // No exception for a missing name, the common case (a PUT of a new file, a 404): making one captures
        // the stack (docs/performance.md, "Latest results (end of session 17): a small request's layers").
        return lstatSync(candidate, UNDEFINED_IF_MISSING);
      } catch (error) {
        if (isMissing(error as NodeJS.ErrnoException)) return undefined;
        throw error;
      }
    }),
  realpath: (candidate) =>
    settled((): Realpath => {
      try {
        return { kind: 'found', path: realpathSync.native(candidate) };
      } catch (error) {
        if (isMissing(error as NodeJS.ErrnoException)) return { kind: 'missing' };
        throw error;
      }
    }),
  isPresent: (candidate) =>
    settled(() => {
      try {
        return lstatSync(candidate, UNDEFINED_IF_MISSING) !== undefined;
      } catch {
        return false; // as the pool form: any error is "nothing there"
      }
    }),
  isWritable: (real) =>
    settled(() => {
      try {
        accessSync(real, fsConstants.W_OK);
        return true;
      } catch (error) {
        if (isRefusedWrite(error as NodeJS.ErrnoException)) return false;
        throw error;
      }
    }),
  open: (real, flags, mode) => settled(() => openSync(real, flags, mode)),
  create: (real, mode) => settled(() => atNameSync(real, (at) => openSync(at, 'wx', mode))),
  fstat: (fd) => settled(() => fstatSync(fd)),
  read: (fd, buffer, length, position) => settled(() => readSync(fd, buffer, 0, length, position)),
  write: (fd, buffer, offset, length, position) =>
    settled(() => writeSync(fd, buffer, offset, length, position)),
  fchmod: (fd, mode) => settled(() => fchmodSync(fd, mode)),
  close: (fd) => settled(() => closeSync(fd)),
  rename: (from, to) => settled(() => atNamesSync(from, to, (fromAt, toAt) => renameSync(fromAt, toAt))),
  unlink: (real) => settled(() => atNameSync(real, (at) => unlinkSync(at))),
  removeFolder: (real) => removeTree(real),
  tree: loopTreeCalls,
};
