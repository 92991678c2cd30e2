import { FOLDER_SWAPPED } from '../anchored-names';
import { outcome, type MethodOutcome } from './method-outcome';

/** A status and sentence for a file system error a guest request can cause; undefined for a real fault. */
export function fileSystemRefusal(error: unknown): { status: number; message: string } | undefined {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return { status: 507, message: 'The host disk is full.' };
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return { status: 403, message: 'The host refused the change (permissions).' };
    case 'ENAMETOOLONG':
      return {
        status: 414,
        message: 'A name or path is longer than the host allows (255 bytes a name, 4096 a path).',
      };
    case 'ENOENT':
      return { status: 409, message: 'The parent folder does not exist; create it first.' };
    case 'ENOTDIR':
      return { status: 409, message: 'A name on the way is a file, not a folder.' };
    case 'EEXIST':
    case 'ENOTEMPTY':
    case 'EISDIR': // a folder made at the name (on the host) between our check and the rename over it
      return { status: 409, message: 'Something else appeared at this name; try again.' };
    case FOLDER_SWAPPED:
      return {
        status: 409,
        message:
          'A folder on the way was moved or replaced on the host meanwhile; nothing was changed. Try again.',
      };
    case 'EXDEV':
      return { status: 502, message: 'The destination is on another file system; move it on the host.' };
    case 'EFBIG':
      return { status: 413, message: 'The file is larger than the host file system allows.' };
    case 'EBUSY':
      return {
        status: 409,
        message:
          'The host is using this folder (a mount point, or a file system busy); change it on the host.',
      };
    default:
      return undefined;
  }
}

/** The answer for a file system error a guest request can cause; any other error is thrown on (a fault). */
export function refusedOutcome(error: unknown): MethodOutcome {
  const refusal = fileSystemRefusal(error);
  if (refusal === undefined) throw error;
  return outcome(refusal.status, refusal.message);
}
