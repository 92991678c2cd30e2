import { folderChildren, openListedFolder } from './folder-children';
import { encodeSegment } from './uri-segment';
import { visibleStats } from './visibility';
import { escapeXmlAttribute } from './xml/xml-escape';

/** One entry of a folder's page: its name, and whether it is a folder (its link ends in '/'). */
export interface IndexEntry {
  readonly name: string;
  readonly isFolder: boolean;
}

/** Entries a folder's page shows at most: a page for a person, not a listing for a program (PROPFIND). */
export const INDEX_ENTRIES = 2000;

/**
 * Up to INDEX_ENTRIES of a folder's visible entries (what a listing shows: no temp files, no links leading
 * out), read in batches like a listing, sorted by name; `more` when the folder has others.
 */
export async function readFolderIndex(
  rootReal: string,
  folderReal: string,
): Promise<{ readonly entries: IndexEntry[]; readonly more: boolean }> {
  const entries: IndexEntry[] = [];
  const listed = await openListedFolder(folderReal); // gone meanwhile: nothing to show
  if (listed === undefined) return { entries, more: false };
  try {
    for await (const batch of folderChildren(listed.here, '/')) {
      const stats = await Promise.all(
        batch.map(({ dirent }) => visibleStats(rootReal, `${listed.here}/${dirent.name}`, dirent)),
      );
      for (const [i, { dirent }] of batch.entries()) {
        const entry = stats[i];
        if (entry === undefined) continue;
        // Stopping early ends the read (the generator closes the folder).
        if (entries.length === INDEX_ENTRIES) return { entries: sortByName(entries), more: true };
        entries.push({ name: dirent.name, isFolder: entry.isDirectory() });
      }
    }
  } finally {
    listed.close();
  }
  return { entries: sortByName(entries), more: false };
}

function sortByName(entries: IndexEntry[]): IndexEntry[] {
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The page a browser in the guest gets for a folder (http://localhost:9843/ typed in an address bar): its
 * entries as links. `base` is the folder's path as the request named it, percent-encoded, ending in '/'.
 * Every name is escaped; the page runs no script and loads nothing (the caller sends a CSP saying so), so a
 * name made to look like markup stays text. Pure.
 */
export function folderIndexHtml(base: string, entries: readonly IndexEntry[], more: boolean): string {
  const title = escapeXmlAttribute(safeDecode(base));
  const up = base === '/' ? '' : '<li><a href="../">../</a></li>';
  const items = entries.map(({ name, isFolder }) => {
    const href = escapeXmlAttribute(base + encodeSegment(name) + (isFolder ? '/' : ''));
    return `<li><a href="${href}">${escapeXmlAttribute(name)}${isFolder ? '/' : ''}</a></li>`;
  });
  const tail = more
    ? `<p>Only the first ${INDEX_ENTRIES} entries are shown: open this folder with a file manager ` +
      '(dav://localhost:9843/ in GNOME Files, a mapped drive in Windows) to see them all.</p>'
    : '';
  return (
    `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
    `<body><h1>${title}</h1><ul>${up}${items.join('')}</ul>${tail}</body></html>\n`
  );
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
