import { close, fchmod, open, rename, unlink, write } from 'node:fs';

// The callback forms of the calls a small upload makes, each one trip to libuv's thread pool: on the main
// thread they cost less per call than fs.promises and its FileHandle (see stat-or-undefined.ts), and a small
// PUT is mostly these calls. The descriptor is a plain number, so its owner must close it on every path.

function settle<T>(resolve: (value: T) => void, reject: (error: Error) => void) {
  return (error: NodeJS.ErrnoException | null, value: T): void =>
    error === null ? resolve(value) : reject(error);
}

export function openFd(real: string, flags: string, mode: number): Promise<number> {
  return new Promise((resolve, reject) => open(real, flags, mode, settle(resolve, reject)));
}

/** Writes the whole buffer from the descriptor's offset 0, going on after a short write (a nearly full disk). */
export async function writeAll(fd: number, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length;) {
    const written = await new Promise<number>((resolve, reject) =>
      write(fd, data, done, data.length - done, done, settle(resolve, reject)),
    );
    if (written === 0) throw new Error('the file system accepted none of the upload');
    done += written;
  }
}

export function fchmodFd(fd: number, mode: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fchmod(fd, mode, (error) => (error === null ? resolve() : reject(error))),
  );
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (error) => (error === null ? resolve() : reject(error))));
}

export function renamePath(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) =>
    rename(from, to, (error) => (error === null ? resolve() : reject(error))),
  );
}

export function unlinkPath(real: string): Promise<void> {
  return new Promise((resolve, reject) =>
    unlink(real, (error) => (error === null ? resolve() : reject(error))),
  );
}
