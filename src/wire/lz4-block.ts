// A raw LZ4 *block* decoder (the format of LZ4_decompress_safe, not the LZ4 frame format), for
// SPICEVMC_COMPRESSED_DATA. Every sequence is: a token (high nibble literal length, low nibble match
// length - 4), length extension bytes for a nibble of 15 (each adds its value, 255 means "more follow"),
// the literals, a 2-byte little-endian match offset and the match length extension. The last sequence has
// literals only. Matches may overlap their own output (offset < length repeats a pattern).

import { WireError } from './errors';

const MIN_MATCH = 4;
const LENGTH_MORE = 15;
/**
 * The most output one input byte can account for: a length extension byte adds at most 255; a token at most
 * 19 (match nibble 15 + 4), a literal 1, an offset byte 0. So a block of n bytes never expands beyond 255 n.
 */
const MAX_EXPANSION = 255;
/** Literal runs up to this long are copied byte by byte: cheaper than a call into Buffer#copy. */
const SHORT_COPY = 32;

function malformed(message: string): WireError {
  return new WireError('malformed', `LZ4 block is corrupt: ${message}`);
}

/** Cursor over the compressed input whose reads throw WireError('truncated') at the end. */
class Input {
  position = 0;

  constructor(private readonly src: Buffer) {}

  get atEnd(): boolean {
    return this.position >= this.src.length;
  }

  byte(): number {
    if (this.atEnd) throw new WireError('truncated', 'LZ4 block is truncated: it ends inside a sequence');
    return this.src[this.position++];
  }

  /** A length nibble plus its extension bytes. */
  length(nibble: number): number {
    let length = nibble;
    if (nibble !== LENGTH_MORE) return length;
    let extra: number;
    do {
      extra = this.byte();
      length += extra;
    } while (extra === 255);
    return length;
  }

  /**
   * Copies the next `n` bytes into `out` at `at`, without a view per literal run: text has a sequence every
   * few bytes, and a Buffer view each made decoding twice as slow (16 MiB of text: 0.24-0.30 → 0.13 CPU-s)
   * and the client's peak RSS on the slow-link bench 96-104 instead of 81-82 MiB.
   */
  copyTo(out: Buffer, at: number, n: number): void {
    const start = this.position;
    if (n > this.src.length - start) {
      throw new WireError('truncated', `LZ4 block is truncated: ${n} literal bytes announced, fewer remain`);
    }
    if (n > SHORT_COPY) this.src.copy(out, at, start, start + n);
    else for (let i = 0; i < n; i++) out[at + i] = this.src[start + i] as number;
    this.position = start + n;
  }
}

/**
 * Copies `length` bytes starting `distance` back. Everything from `outPos - distance` to the write position is
 * one period of `distance` bytes repeated, so each copy can take all of it: the first copies `distance` bytes,
 * each next one twice as many as before. A match costs O(log(length / distance)) copyWithin calls, never one
 * per byte (a 4 KiB block can announce a 1 MiB run at distance 1), and no span overlaps its own source.
 */
function copyMatch(out: Buffer, outPos: number, distance: number, length: number): void {
  const from = outPos - distance;
  let copied = 0;
  while (copied < length) {
    // `copied` stays a multiple of `distance`, so the bytes from `from` continue the pattern exactly.
    const chunk = Math.min(distance + copied, length - copied);
    out.copyWithin(outPos + copied, from, from + chunk);
    copied += chunk;
  }
}

/**
 * Decompresses one LZ4 block that must expand to exactly `expectedSize` bytes, at most `maxSize` (the output
 * cap, checked before anything is allocated). The work is linear in the input plus the output. Throws
 * WireError('too-large') if expectedSize exceeds maxSize, and 'truncated' or 'malformed' for bad input.
 */
export function decodeLz4Block(src: Buffer, expectedSize: number, maxSize: number): Buffer {
  if (!Number.isSafeInteger(expectedSize) || expectedSize < 0) {
    throw malformed(`invalid uncompressed size ${expectedSize}`);
  }
  if (expectedSize > maxSize) {
    throw new WireError(
      'too-large',
      `LZ4 block claims ${expectedSize} uncompressed bytes, more than ${maxSize}`,
    );
  }
  if (expectedSize > MAX_EXPANSION * src.length) {
    // Checked before allocating: a few bytes claiming a megabyte cost nothing.
    throw malformed(`${src.length} bytes cannot expand to the announced ${expectedSize}`);
  }
  // Every byte is written before we return (the size check below), so uninitialised memory never escapes.
  const out = Buffer.allocUnsafe(expectedSize);
  const input = new Input(src);
  let outPos = 0;
  if (input.atEnd) throw new WireError('truncated', 'LZ4 block is empty');
  while (!input.atEnd) {
    const token = input.byte();
    const literalLength = input.length(token >>> 4);
    if (literalLength > expectedSize - outPos) {
      if (literalLength > src.length - input.position) {
        throw new WireError(
          'truncated',
          `LZ4 block is truncated: ${literalLength} literal bytes announced, fewer remain`,
        );
      }
      throw malformed('literals overrun the announced size');
    }
    input.copyTo(out, outPos, literalLength);
    outPos += literalLength;
    if (input.atEnd) break; // the last sequence carries literals only
    const distance = input.byte() | (input.byte() << 8);
    if (distance === 0 || distance > outPos) {
      throw malformed(`match offset ${distance} points outside the ${outPos} bytes decoded so far`);
    }
    const matchLength = input.length(token & 0x0f) + MIN_MATCH;
    if (matchLength > expectedSize - outPos) throw malformed('a match overruns the announced size');
    copyMatch(out, outPos, distance, matchLength);
    outPos += matchLength;
  }
  if (outPos !== expectedSize) {
    throw malformed(`it expands to ${outPos} bytes, not the announced ${expectedSize}`);
  }
  return out;
}
