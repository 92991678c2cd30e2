/** What one of our namespace methods answers: a status, and for anything but success a sentence. */
export interface MethodOutcome {
  readonly status: number;
  readonly message?: string;
}

export function outcome(status: number, message?: string): MethodOutcome {
  return message === undefined ? { status } : { status, message };
}

/** The rule for links, said the same way everywhere (docs/security.md explains why). */
export const LINK_REFUSAL =
  'Symbolic links cannot be moved or copied from the guest, and neither can a folder that contains one; ' +
  'do it on the host.';

/** For a tree made on the host whose paths go past what a program can name (4096 bytes): nothing was done. */
export const PATHS_TOO_LONG =
  'This folder holds paths longer than the host lets a program name (4096 bytes); nothing was done.';

/** A MOVE or COPY whose result would have paths longer than the host allows (PATH_MAX). */
export const TOO_DEEP =
  'The result would have paths longer than the host allows (4096 bytes); choose a shallower Destination or ' +
  'shorter names.';
