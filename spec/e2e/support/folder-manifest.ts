// A fingerprint of a folder tree on the host: every entry's type, size, content hash and symlink target.
// Taken before and after a hostile request, equal manifests mean no byte was read into existence, changed,
// added or removed there.

import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';

export type FolderManifest = Record<string, string>;

/** Walks `root` without following symlinks; `skip` names (absolute paths) are left out with their contents. */
export function folderManifest(root: string, skip: readonly string[] = []): FolderManifest {
  const manifest: FolderManifest = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (skip.includes(full)) continue;
      const stats = lstatSync(full);
      const key = relative(root, full);
      if (stats.isSymbolicLink()) manifest[key] = `link → ${readlinkSync(full)}`;
      else if (stats.isDirectory()) {
        manifest[key] = `dir mode ${stats.mode.toString(8)}`;
        walk(full);
      } else {
        const hash = createHash('sha256').update(readFileSync(full)).digest('hex');
        manifest[key] = `file ${stats.size} ${hash} mtime ${stats.mtimeMs}`;
      }
    }
  };
  walk(root);
  return manifest;
}
