const SEPARATOR = Buffer.from('/');

/**
 * The path of `name` in `folder`, both as the bytes on disk. Walks that must reach every entry of a tree
 * (removing, copying, moving it) keep paths as bytes: a name that is not UTF-8 (a Latin-1 file from an old
 * archive) read as a string gets U+FFFD in it and then names nothing, or another entry.
 */
export function pathBelow(folder: Buffer, name: Buffer): Buffer {
  return Buffer.concat([folder, SEPARATOR, name]);
}
