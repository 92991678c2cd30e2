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

/** A MOVE or COPY whose result would have paths longer than the host allows (PATH_MAX). */
export const TOO_DEEP =
  'The result would have paths longer than the host allows (4096 bytes); choose a shallower Destination or ' +
  'shorter names.';
