import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error';

/** Where the password came from, so that a refusal can name the place to fix. */
export type PasswordSource =
  /** No password; `vvFile` when the address came from a .vv file without password=. */
  | { readonly kind: 'none'; readonly vvFile?: string }
  /** `empty`: the file or the variable held nothing (a refusal then says so, not "wrong or expired"). */
  | { readonly kind: 'password-file'; readonly path: string; readonly empty?: boolean }
  | { readonly kind: 'environment'; readonly empty?: boolean }
  /** A .vv file's own password= (or none: a .vv file never gets $SPICE_PASSWORD, see docs/cli.md). */
  | { readonly kind: 'vv-file'; readonly path: string };

export interface PasswordChoice {
  readonly password: string | undefined;
  readonly source: PasswordSource;
}

/**
 * The SPICE password never comes from argv (every user can read it in `ps`): from --password-file, or from the
 * SPICE_PASSWORD environment variable. One trailing newline in the file is dropped, as `echo pw > file` adds one.
 */
export function readPassword(passwordFile: string | undefined, env: NodeJS.ProcessEnv): PasswordChoice {
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
    const password = text.replace(/\r?\n$/, '');
    return {
      password,
      source: { kind: 'password-file', path: passwordFile, ...(password === '' ? { empty: true } : {}) },
    };
  }
  const fromEnvironment = env.SPICE_PASSWORD;
  return fromEnvironment === undefined
    ? { password: undefined, source: { kind: 'none' } }
    : {
        password: fromEnvironment,
        source: { kind: 'environment', ...(fromEnvironment === '' ? { empty: true } : {}) },
      };
}
