import { readdirSync } from 'node:fs';
import * as path from 'node:path';

/** Every upload or copy temp file (or folder) below `dir`, relative to it, links not followed. */
export function tempFilesBelow(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.name.startsWith('.spice-webdav-upload-')) found.push(path.relative(dir, full));
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return found;
}
