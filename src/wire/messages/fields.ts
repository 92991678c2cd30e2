// Field readers shared by the message decoders: strings located by an offset from the start of the body
// (spice.proto pointer fields) and NUL-terminated text.

import { WireError } from '../errors';

/** The `size` bytes at `offset` from the start of `body`, as a view; WireError('malformed') if outside. */
export function pointedBytes(body: Buffer, offset: number, size: number, what: string): Buffer {
  if (size === 0) return body.subarray(0, 0);
  if (offset > body.length || size > body.length - offset) {
    throw new WireError(
      'malformed',
      `${what} points at bytes ${offset}..${offset + size}, outside its ${body.length}-byte message`,
    );
  }
  return body.subarray(offset, offset + size);
}

/** UTF-8 text up to the first NUL (SPICE strings usually include their terminator). */
export function cString(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return bytes.toString('utf8', 0, nul === -1 ? bytes.length : nul);
}
