import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Why `path` cannot be shared, as the end of a sentence, or undefined when it can. Checked before connecting:
 * connecting takes the VM's SPICE session away from an open viewer, which a doomed run must not do.
 */
export function shareFolderProblem(path: string): string | undefined {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (err) {
    return errnoCode(err) === 'ENOENT' ? 'it does not exist' : `it cannot be read (${errnoCode(err)})`;
  }
  if (!isFolder) return 'it is not a folder';
  try {
    accessSync(path, constants.R_OK | constants.X_OK);
  } catch {
    return 'your user may not read it';
  }
  return undefined;
}

/** Why a file we must read (a CA certificate) cannot be read, or undefined when it can. */
export function readableFileProblem(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'it is not a file';
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = errnoCode(err);
    return code === 'ENOENT' ? 'it does not exist' : `it cannot be read (${code})`;
  }
}

/** Why a unix socket cannot be created at `path`, or undefined when its folder is there and writable. */
export function socketPathProblem(path: string): string | undefined {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES)
    return `the path is ${bytes} bytes, more than the ${MAX_SOCKET_PATH_BYTES} a unix socket's may have; choose a shorter path`;
  const folder = dirname(path);
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch (err) {
    return errnoCode(err) === 'ENOENT'
      ? `its folder ${folder} does not exist; create it or choose another path`
      : `its folder ${folder} cannot be read (${errnoCode(err)}); choose another path`;
  }
  if (!isFolder) return `${folder} is not a folder; choose another path`;
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch {
    return `your user may not create files in ${folder}; choose another path`;
  }
  return undefined;
}

/**
 * The longest path a unix socket may have on Linux (sun_path holds 108 bytes with the closing NUL). Longer,
 * Node binds a socket at the path cut short and fails later, leaving that file behind.
 */
const MAX_SOCKET_PATH_BYTES = 107;

function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? 'unknown error';
}
