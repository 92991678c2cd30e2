import { WireError } from '../../../src/wire/errors';

/** Bytes from readable hex: spaces, '|' and other separators are ignored. */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');

/** The kind of the WireError an action throws, or undefined if it throws nothing; anything else is rethrown. */
export function wireErrorKind(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof WireError) return error.kind;
    throw error;
  }
  return undefined;
}
