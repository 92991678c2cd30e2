import { readFileSync, statSync, unlinkSync } from 'node:fs';
import { UsageError } from '../cli/usage-error';
import { parseVvFile, readSection, type VvConnection } from './parse-vv-file';

/**
 * Does this positional argument name a virt-viewer file rather than an address? A name ending in .vv, or any
 * existing file (browsers save console files as `console.vv.txt`, `download` ...): reading it says which.
 */
export function looksLikeVvFile(argument: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(argument)) return false;
  if (/\.vv$/i.test(argument)) return true;
  try {
    return statSync(argument).isFile();
  } catch {
    return false;
  }
}

export interface VvFileRead {
  readonly connection: VvConnection;
  /** Set when the file asked to be deleted (delete-this-file=1) and could not be: say so to the user. */
  readonly deletionProblem: string | undefined;
}

/**
 * Reads and parses a .vv file; every problem is a UsageError that names the file and what to fix. A file that
 * says delete-this-file=1 carries a one-time password: it is deleted right after it is read, as remote-viewer
 * does, whatever is wrong with it or with the rest of the command line.
 */
export function readVvFile(path: string): VvFileRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new UsageError(
      `Cannot read the connection file ${path} (${code}): check the path and its permissions.`,
    );
  }
  const deletionProblem = asksForDeletion(text) ? deleteVvFile(path) : undefined;
  const parsed = parseVvFile(text);
  if (parsed.kind === 'error') {
    const also = deletionProblem === undefined ? '' : ` Also, ${deletionProblem}.`;
    throw new UsageError(`${path} is not a usable virt-viewer file: ${parsed.message}.${also}`);
  }
  return { connection: parsed.connection, deletionProblem };
}

function asksForDeletion(text: string): boolean {
  const flag = readSection(text, 'virt-viewer')?.get('delete-this-file');
  return flag === '1' || flag === 'true';
}

/** remote-viewer's delete-this-file: the file carried a one-time password; remove it once read. */
function deleteVvFile(path: string): string | undefined {
  try {
    unlinkSync(path);
    return undefined;
  } catch (err) {
    return `could not delete ${path} as it asks (delete-this-file=1): ${(err as Error).message}; delete it yourself`;
  }
}
