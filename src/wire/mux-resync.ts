// Finding the first whole mux frame in a guest stream joined at an unknown point.
//
// The mux has no sync marker. A SPICE client that connects while spice-webdavd is in the middle of writing a
// frame (the previous client was cut off mid-transfer; QEMU drops what the guest writes while no client is
// attached) receives the rest of that frame first. Read as a header, those bytes announce a random client and
// size, and every later frame is misread. spice-webdavd's ids have a shape we can test for instead: the id is
// the address of a GObject truncated to 32 bits and sign-extended to 64 (protocol notes, section 6), so on the
// wire its upper four bytes copy the sign bit of the lower four, and, as GLib allocates objects 8-byte aligned
// (every id seen from a real guest is), its lowest three bits are zero. Random data has that shape at one
// offset in 2^35; text never has it (no zero bytes), nor do runs of zeros (a null id) or of 0xff (unaligned).

import { MUX_HEADER_SIZE } from './constants';

const ID_LOW_BYTES = 4;
const SIZE_OFFSET = 8;
const POINTER_ALIGNMENT_MASK = 0b111;

/** Whether the 10 bytes at `offset` read as a header spice-webdavd could have written. */
export function isPlausibleMuxHeader(bytes: Buffer, offset: number): boolean {
  if (offset + MUX_HEADER_SIZE > bytes.length) return false;
  const low = bytes.readUInt32LE(offset);
  // A pointer is never null, nor unaligned.
  if (low === 0 || (low & POINTER_ALIGNMENT_MASK) !== 0) return false;
  const high = bytes.readUInt32LE(offset + ID_LOW_BYTES);
  return high === (low >= 0x8000_0000 ? 0xffff_ffff : 0);
}

export type FrameStartSearch =
  /** A frame starts at `offset`: everything before it is the tail of an older frame. */
  | { readonly kind: 'found'; readonly offset: number }
  /** Not decided yet: bytes before `keepFrom` can go; call again with more bytes appended to the rest. */
  | { readonly kind: 'need-more'; readonly keepFrom: number };

/**
 * Looks for the first offset that starts a plausible frame and is confirmed by what follows: the frame ends
 * exactly where the bytes end (spice-webdavd writes whole frames), or a plausible header follows it. A
 * candidate whose frame is not complete yet is kept until more bytes arrive, so what is kept never exceeds
 * one frame plus a header.
 */
export function findMuxFrameStart(bytes: Buffer): FrameStartSearch {
  for (let offset = 0; offset + MUX_HEADER_SIZE <= bytes.length; offset++) {
    if (!isPlausibleMuxHeader(bytes, offset)) continue;
    const end = offset + MUX_HEADER_SIZE + bytes.readUInt16LE(offset + SIZE_OFFSET);
    if (end === bytes.length) return { kind: 'found', offset };
    if (end + MUX_HEADER_SIZE > bytes.length) return { kind: 'need-more', keepFrom: offset };
    if (isPlausibleMuxHeader(bytes, end)) return { kind: 'found', offset };
  }
  // No candidate yet; the last bytes may still begin one.
  return { kind: 'need-more', keepFrom: Math.max(0, bytes.length - (MUX_HEADER_SIZE - 1)) };
}
