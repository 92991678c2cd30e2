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
  if (/[/\\]/.test(name)) return `"${name}" contains a slash`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `"${name}" contains a control character`;
  if (name.length > 255) return 'the name is longer than 255 characters';
  return undefined;
}

/** Checks a whole list: every name valid and no two alike (names are compared as the guest sees them). */
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
  return undefined;
}
