import type { Stats } from 'node:fs';

/** A strong validator from size and modification time (and inode, so a replaced file gets a new tag). */
export function entityTag(stats: Stats): string {
  return `"${stats.ino.toString(16)}-${stats.size.toString(16)}-${Math.floor(stats.mtimeMs * 1000).toString(16)}"`;
}
