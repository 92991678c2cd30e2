import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error';

/**
 * The SPICE password never comes from argv (every user can read it in `ps`): from --password-file, or from the
 * SPICE_PASSWORD environment variable. One trailing newline in the file is dropped, as `echo pw > file` adds one.
 */
export function readPassword(passwordFile: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(passwordFile, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new UsageError(
        `Cannot read the password file ${passwordFile} (${code}): check the path and its permissions.`,
      );
    }
    return text.replace(/\r?\n$/, '');
  }
  return env.SPICE_PASSWORD;
}
