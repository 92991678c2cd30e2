import { WireError, type WireErrorKind } from '../../../src/wire/errors';

/** Bytes from readable hex: spaces, '|' and other separators are ignored. */
export const hex = (s: string): Buffer => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');

/** The kind of the WireError an action throws, or undefined if it throws nothing; anything else is rethrown. */
export function wireErrorKind(action: () => unknown): WireErrorKind | undefined {
  try {
    action();
  } catch (error) {
    if (error instanceof WireError) return error.kind;
    throw error;
  }
  return undefined;
}

/** Splits a buffer at arbitrary cut points (taken modulo its length + 1, deduplicated and sorted). */
export function splitAt(buffer: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (buffer.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const point of [...points, buffer.length]) {
    chunks.push(buffer.subarray(start, point));
    start = point;
  }
  return chunks;
}
