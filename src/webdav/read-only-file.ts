import type { Stats } from 'node:fs';
import type { FileCalls } from './file-calls';

/**
 * A file the host made read-only (or another user's) is not written from the guest, by a PUT or a COPY onto it:
 * neither may get past what `echo > file` or `cp` on the host could not (docs/security.md, section 1). Both
 * would rename a new file over it, which only the folder's permissions govern, so they ask first.
 */
export const READ_ONLY_FILE_REFUSAL =
  'This file is read-only on the host (no write permission); it was not changed.';

/**
 * Whether the entry at `real` (its own `stats`, if anything is there) is a regular file this process may not
 * write. One the host removed since it was seen is not: then nothing is replaced.
 */
export async function isReadOnlyFile(
  calls: FileCalls,
  real: string,
  stats: Stats | undefined,
): Promise<boolean> {
  if (stats?.isFile() !== true) return false;
  return !(await calls.isWritable(real).catch(() => true));
}
