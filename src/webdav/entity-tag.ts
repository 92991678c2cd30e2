import type { Stats } from 'node:fs';

/**
 * A strong validator: inode, size, modification time and birth time (microseconds). The inode alone does not
 * tell a replaced file from the old one (every PUT renames a new file over it, and ext4 hands the freed inode
 * number to the next new file at once), nor does the modification time (clients set it: X-OC-Mtime, Windows'
 * PROPPATCH of Win32LastModifiedTime, to whole seconds), so a third version of a file of the same size got the
 * first one's tag and a client holding it was told 304 or had its If-Match pass (a reviewer's finding,
 * session 28). The birth time is new with every new file, and no client can set it; unlike the change time, it
 * stays when only the access time changes or the file is renamed. Where the file system keeps none (0), the
 * change time stands in.
 */
export function entityTag(stats: Stats): string {
  const micros = (ms: number) => Math.floor(ms * 1000).toString(16);
  const born = stats.birthtimeMs > 0 ? stats.birthtimeMs : stats.ctimeMs;
  return `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${micros(stats.mtimeMs)}-${micros(born)}"`;
}
