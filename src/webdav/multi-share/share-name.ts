import { posix } from 'node:path';
import { displayText, hasUnsafeChar } from '../../wire/display-text';

/** One folder of a multi-folder share: served at /NAME/ in the guest. */
export interface NamedShare {
  readonly name: string;
  /** The host folder (absolute). */
  readonly path: string;
  readonly readOnly: boolean;
}

/**
 * Why a share name cannot be a top-level folder name, or undefined when it can. Names end up in URLs and in
 * the guest's file manager, so they stay plain: no slashes, no dot names, no control characters.
 */
export function shareNameProblem(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (name === '.' || name === '..') return `"${name}" is not a folder name`;
  if (/[/\\]/.test(name)) return `"${displayText(name)}" contains a slash`;
  // Shown in the guest's file manager and in our log: nothing a terminal would act on or reorder.
  if (hasUnsafeChar(name)) return `"${displayText(name)}" contains a control or text-direction character`;
  if (name.length > 255) return 'the name is longer than 255 characters';
  return undefined;
}

/**
 * Checks a whole list: every name valid, no two alike (names are compared as the guest sees them), and no
 * folder the same as or inside another as written (the engine checks again with links resolved).
 */
export function checkShareList(shares: readonly NamedShare[]): string | undefined {
  if (shares.length === 0) return 'no folder to share';
  const seen = new Set<string>();
  for (const share of shares) {
    const problem = shareNameProblem(share.name);
    if (problem !== undefined) return `share name: ${problem}`;
    // Windows and macOS guests compare names case-insensitively: two names that differ only in case clash there.
    const folded = share.name.toLowerCase();
    if (seen.has(folded)) return `the share name "${share.name}" is used twice`;
    seen.add(folded);
  }
  return overlappingFolders(shares.map((share) => ({ name: share.name, folder: posix.resolve(share.path) })));
}

/**
 * Why folders cannot be shared together, if one is the same as or inside another: each share has its own
 * namespace lock and upload temp files, so a request through one could rename a folder under a request
 * through the other between its check and its use (an attacker left an upload's temp file behind that way,
 * hidden from listings, in session 23). `folder`s are absolute and normalized.
 */
export function overlappingFolders(
  shares: readonly { readonly name: string; readonly folder: string }[],
): string | undefined {
  const within = (inner: string, outer: string) =>
    inner === outer || inner.startsWith(outer.endsWith('/') ? outer : `${outer}/`);
  for (const [i, a] of shares.entries()) {
    for (const b of shares.slice(i + 1)) {
      const [outer, inner] = within(b.folder, a.folder) ? [a, b] : [b, a];
      if (!within(inner.folder, outer.folder)) continue;
      const shown = (folder: string) => displayText(folder, 4096);
      const what =
        inner.folder === outer.folder
          ? `are the same folder (${shown(outer.folder)})`
          : `overlap (${shown(inner.folder)} is inside ${shown(outer.folder)})`;
      return `shares "${outer.name}" and "${inner.name}" ${what}; share folders that do not contain each other, or the outer one alone`;
    }
  }
  return undefined;
}
