import { createMountedEngine } from '../engine';
import type { EngineOptions, WebdavEngine } from '../types';
import { checkShareList, type NamedShare } from './share-name';

/**
 * Several host folders as mounts of one engine: `/NAME/...` is inside NAME's folder (with its own read-only
 * flag and namespace lock), and the virtual root `/` lists the folders and cannot be changed.
 * Rejects with an error a user can act on when a name is invalid or a folder cannot be shared.
 */
export async function createMultiShareEngine(
  shares: readonly NamedShare[],
  options?: EngineOptions,
): Promise<WebdavEngine> {
  const problem = checkShareList(shares);
  if (problem !== undefined) throw new Error(`Cannot share these folders: ${problem}.`);
  const mounts = shares.map((share) => ({
    name: share.name,
    share: { root: share.path, readOnly: share.readOnly },
  }));
  return createMountedEngine(mounts, { root: '', readOnly: shares.every((s) => s.readOnly) }, options);
}
