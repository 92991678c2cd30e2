import { resolve } from 'node:path';
import { checkShareList, shareNameProblem, type NamedShare } from '../../webdav/multi-share/share-name';
import { expandHome } from './expand-home';
import { UsageError } from './usage-error';

/**
 * One `--share NAME=DIR[:ro]`: the folder DIR appears in the guest as /NAME/, read-only with `:ro`. A shell
 * does not expand `~` after `=`, so we do (`home`).
 */
export function parseShareOption(text: string, cwd: string, home?: string): NamedShare {
  const eq = text.indexOf('=');
  if (eq === -1) {
    throw new UsageError(
      `--share ${text}: write NAME=DIR (or NAME=DIR:ro), e.g. --share docs=~/Documents:ro.`,
    );
  }
  const name = text.slice(0, eq);
  const problem = shareNameProblem(name);
  if (problem !== undefined)
    throw new UsageError(`--share ${text}: ${problem}; NAME is a plain folder name.`);
  const suffix = /:(ro|rw)$/.exec(text.slice(eq + 1));
  const dir = suffix === null ? text.slice(eq + 1) : text.slice(eq + 1, -suffix[0].length);
  if (dir === '') throw new UsageError(`--share ${text}: the folder is missing after "${name}=".`);
  return { name, path: resolve(cwd, expandHome(dir, home)), readOnly: suffix?.[1] === 'ro' };
}

/** Every --share, checked as a whole (no name twice). */
export function parseShareOptions(texts: readonly string[], cwd: string, home?: string): NamedShare[] {
  const shares = texts.map((text) => parseShareOption(text, cwd, home));
  if (shares.length === 0) return shares;
  const problem = checkShareList(shares);
  if (problem !== undefined) throw new UsageError(`--share: ${problem}.`);
  return shares;
}
