import { constants, promises as fsp } from 'node:fs';
import type { ShareConfig } from './types';

/** Checks the share root and returns its real path, or throws an error a user can act on. */
export async function resolveShareRoot(share: ShareConfig): Promise<string> {
  const shown = JSON.stringify(share.root);
  let stats;
  try {
    stats = await fsp.stat(share.root);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new Error(`The folder to share, ${shown}, does not exist: create it or choose another folder.`);
    throw new Error(
      `The folder to share, ${shown}, cannot be examined (${code ?? String(error)}): check its permissions.`,
    );
  }
  if (!stats.isDirectory()) throw new Error(`The path to share, ${shown}, is not a folder: choose a folder.`);
  const needed = constants.R_OK | constants.X_OK | (share.readOnly ? 0 : constants.W_OK);
  try {
    await fsp.access(share.root, needed);
  } catch {
    const what = share.readOnly ? 'readable' : 'readable and writable';
    throw new Error(
      `The folder to share, ${shown}, is not ${what} by this user: fix its permissions` +
        (share.readOnly ? '.' : ' or share it read-only.'),
    );
  }
  return fsp.realpath(share.root);
}
