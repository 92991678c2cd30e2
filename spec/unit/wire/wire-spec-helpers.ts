import fc from 'fast-check';
import { WireError, type WireErrorKind } from '../../../src/wire/errors';
import { clientIdFromBigInt, type MuxFrame } from '../../../src/wire/mux-frame';

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

/** Each chunk in its own memory (no pool), as every socket read is, so a view can be traced back to its chunk. */
export const ownMemory = (chunks: readonly Buffer[]): Buffer[] =>
  chunks.map((chunk) => {
    const copy = Buffer.alloc(chunk.length);
    chunk.copy(copy);
    return copy;
  });

/** Whether `piece` is a view into one of `chunks` (not a copy). */
export const isViewOfSome = (piece: Buffer, chunks: readonly Buffer[]): boolean =>
  chunks.some(
    (chunk) =>
      chunk.buffer === piece.buffer &&
      piece.byteOffset >= chunk.byteOffset &&
      piece.byteOffset + piece.length <= chunk.byteOffset + chunk.length,
  );

/** A mux frame of any id (negative ones too) with up to 300 payload bytes. */
export const muxFrameArb: fc.Arbitrary<MuxFrame> = fc.record({
  id: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).map(clientIdFromBigInt),
  payload: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
});
