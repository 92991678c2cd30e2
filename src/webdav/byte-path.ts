import { promises as fsp, type Dirent } from 'node:fs';

const SEPARATOR = Buffer.from('/');

/**
 * The path of `name` in `folder`, both as the bytes on disk. Walks that must reach every entry of a tree
 * (removing, copying, moving it) keep paths as bytes: a name that is not UTF-8 (a Latin-1 file from an old
 * archive) read as a string gets U+FFFD in it and then names nothing, or another entry.
 */
export function pathBelow(folder: Buffer, name: Buffer): Buffer {
  return Buffer.concat([folder, SEPARATOR, name]);
}

/**
 * opendir's options for a folder whose entries' names come as bytes, a batch at a time. Node takes
 * `encoding: 'buffer'` here as readdir does; @types/node types only the string form of opendir.
 */
export const BYTE_NAMED = { bufferSize: 64, encoding: 'buffer' as BufferEncoding };

/** A folder's entries read a batch at a time through the thread pool, names as the bytes on disk. */
export async function openByteNamed(folder: Buffer): Promise<AsyncIterable<Dirent<Buffer>>> {
  return (await fsp.opendir(folder, BYTE_NAMED)) as unknown as AsyncIterable<Dirent<Buffer>>;
}
