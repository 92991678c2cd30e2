import { LinkErrorCode } from '../../wire/constants';
import { LinkError } from '../../wire/errors';
import type { SpiceConnectionError } from '../spice/errors';
import type { PasswordSource } from './read-password';

/**
 * The CLI's sentence for a server that refused the ticket, naming where our password came from (or that there
 * was none); undefined for every other failure, whose own message stands.
 */
export function passwordRefusalMessage(
  error: SpiceConnectionError,
  source: PasswordSource,
): string | undefined {
  const cause: unknown = error.cause;
  if (
    error.reason !== 'auth' ||
    !(cause instanceof LinkError) ||
    cause.code !== LinkErrorCode.PERMISSION_DENIED
  ) {
    return undefined;
  }
  switch (source.kind) {
    case 'none':
      if (source.vvFile !== undefined) {
        return (
          `The SPICE server needs a password and ${source.vvFile} has no password=: give it with ` +
          '--password-file FILE (SPICE_PASSWORD is never sent to a host that a .vv file names).'
        );
      }
      return (
        'The SPICE server needs a password and none was given: put it in a file and add --password-file FILE, ' +
        'or set SPICE_PASSWORD.'
      );
    case 'vv-file':
      return (
        `The SPICE server refused the password in ${source.path}: it is wrong or has expired (connection ` +
        'files often hold a one-time password): get a fresh file, or give the password with --password-file FILE.'
      );
    case 'password-file':
      return source.empty === true
        ? `The SPICE server needs a password and ${source.path} is empty: write the VM's SPICE password into it.`
        : `The SPICE server refused the password in ${source.path}: it is wrong or has expired; fix the file.`;
    case 'environment':
      return source.empty === true
        ? "The SPICE server needs a password and SPICE_PASSWORD is empty: set it to the VM's SPICE password."
        : 'The SPICE server refused the password in SPICE_PASSWORD: it is wrong or has expired; set the right one.';
  }
}
