import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/**
 * Node's FileHandle class is not exported: specs that count a handle's reads or writes spy on its prototype,
 * taken from a handle opened (and closed) on a probe file in `folder` (outside the share, so no request sees it).
 */
export async function fileHandlePrototype(folder: string): Promise<fsp.FileHandle> {
  const probe = await fsp.open(path.join(folder, 'file-handle-probe'), 'w');
  const prototype = Object.getPrototypeOf(probe) as fsp.FileHandle;
  await probe.close();
  return prototype;
}
