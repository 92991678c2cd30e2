import { readFileSync, unlinkSync } from 'node:fs';
import { UsageError } from '../cli/usage-error';
import { parseVvFile, type VvConnection } from './parse-vv-file';

/** Does this positional argument name a virt-viewer file rather than an address? */
export function looksLikeVvFile(argument: string): boolean {
  return /\.vv$/i.test(argument) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(argument);
}

/** Reads and parses a .vv file; every problem is a UsageError that names the file and what to fix. */
export function readVvFile(path: string): VvConnection {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new UsageError(
      `Cannot read the connection file ${path} (${code}): check the path and its permissions.`,
    );
  }
  const parsed = parseVvFile(text);
  if (parsed.kind === 'error') {
    throw new UsageError(`${path} is not a usable virt-viewer file: ${parsed.message}.`);
  }
  return parsed.connection;
}

/** remote-viewer's delete-this-file: the file carried a one-time password; remove it once read. */
export function deleteVvFile(path: string): string | undefined {
  try {
    unlinkSync(path);
    return undefined;
  } catch (err) {
    return `could not delete ${path} as it asks (delete-this-file=1): ${(err as Error).message}`;
  }
}
