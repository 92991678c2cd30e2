// A small greedy LZ4 block compressor for specs only, so property tests can round-trip arbitrary data
// through decodeLz4Block. It follows the block format's end rules (last match starts at least 12 bytes
// before the end, the last 5 bytes are literals) like the reference compressor.

const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MATCH_SEARCH_END = 12;

function pushLength(out: number[], length: number): void {
  let rest = length;
  while (rest >= 255) {
    out.push(255);
    rest -= 255;
  }
  out.push(rest);
}

function pushSequence(out: number[], literals: Buffer, match?: { distance: number; length: number }): void {
  const matchExtra = match === undefined ? 0 : match.length - MIN_MATCH;
  out.push((Math.min(literals.length, 15) << 4) | Math.min(matchExtra, 15));
  if (literals.length >= 15) pushLength(out, literals.length - 15);
  for (const byte of literals) out.push(byte);
  if (match === undefined) return;
  out.push(match.distance & 0xff, match.distance >>> 8);
  if (matchExtra >= 15) pushLength(out, matchExtra - 15);
}

export function compressLz4Block(input: Buffer): Buffer {
  const out: number[] = [];
  const lastPosition = new Map<number, number>();
  let anchor = 0;
  let position = 0;
  while (position + MATCH_SEARCH_END <= input.length) {
    const key = input.readUInt32LE(position);
    const candidate = lastPosition.get(key);
    lastPosition.set(key, position);
    if (candidate === undefined || position - candidate > 0xffff) {
      position++;
      continue;
    }
    let length = MIN_MATCH;
    while (
      position + length < input.length - LAST_LITERALS &&
      input[candidate + length] === input[position + length]
    ) {
      length++;
    }
    pushSequence(out, input.subarray(anchor, position), { distance: position - candidate, length });
    position += length;
    anchor = position;
  }
  pushSequence(out, input.subarray(anchor));
  return Buffer.from(out);
}

/** One LZ4 sequence spelled out: literals, then (unless it is the last) a match `distance` back. */
export interface Lz4Sequence {
  literals: Buffer;
  match?: { distance: number; length: number };
}

/** Encodes sequences as given (no search), for blocks shaped by a spec: long runs, short periods. */
export function encodeLz4Sequences(sequences: readonly Lz4Sequence[]): Buffer {
  const out: number[] = [];
  for (const sequence of sequences) pushSequence(out, sequence.literals, sequence.match);
  return Buffer.from(out);
}

/** What the sequences expand to, byte by byte: the obvious reference the fast decoder is compared with. */
export function expandLz4Sequences(sequences: readonly Lz4Sequence[]): Buffer {
  const out: number[] = [];
  for (const { literals, match } of sequences) {
    out.push(...literals);
    if (match === undefined) continue;
    for (let i = 0; i < match.length; i++) out.push(out[out.length - match.distance]);
  }
  return Buffer.from(out);
}
