// The files the benchmarks transfer: sparse, so that reading them costs no disk time and the figures are about
// the clients, not the host's disk; and read once here, because the kernel fills its page cache for a sparse
// file on the first read of it (zeroed pages for the holes) and that cost would otherwise go to whichever
// client reads it first (in session 10, 0.1-0.2 CPU-s more on the first cold GET of a run, always ours).
import { closeSync, openSync, readSync, truncateSync, writeFileSync } from 'node:fs';

const MiB = 1024 * 1024;

/** Makes `file` a sparse file of `bytes` bytes whose pages are already in the page cache. */
export function makeTransferFile(file: string, bytes: number): void {
  makeSparseFile(file, bytes);
  readThrough(file);
}

/** Makes `file` a sparse file of `bytes` bytes (a hole: nothing on disk, nothing in the page cache yet). */
export function makeSparseFile(file: string, bytes: number): void {
  writeFileSync(file, '');
  truncateSync(file, bytes);
}

/** Reads a file to its end and drops what it read. */
function readThrough(file: string): void {
  const buffer = Buffer.allocUnsafe(MiB);
  const fd = openSync(file, 'r');
  try {
    while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}
