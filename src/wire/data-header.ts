// Data message headers used after the link (protocol doc section 2). The mini header is used on a channel
// when both sides advertised CommonCap.MINI_HEADER; otherwise the full one.

import { BinaryReader } from './binary-reader';
import { requireUint, requireUint64 } from './uint';

export const MINI_HEADER_SIZE = 6;
export const FULL_HEADER_SIZE = 18;

export type HeaderKind = 'mini' | 'full';

export interface DataHeader {
  type: number;
  /** Body bytes that follow the header. */
  size: number;
  /** Full header only. */
  serial?: bigint;
  /** Full header only; non-zero only for display sub-message lists. */
  subList?: number;
}

export function headerSize(kind: HeaderKind): number {
  return kind === 'mini' ? MINI_HEADER_SIZE : FULL_HEADER_SIZE;
}

/** Reads a data header from the start of `buf` (extra bytes are ignored). */
export function decodeDataHeader(kind: HeaderKind, buf: Buffer): DataHeader {
  const reader = new BinaryReader(buf, `SPICE ${kind} data header`);
  if (kind === 'mini') {
    const type = reader.u16();
    const size = reader.u32();
    return { type, size };
  }
  const serial = reader.u64();
  const type = reader.u16();
  const size = reader.u32();
  const subList = reader.u32();
  return { type, size, serial, subList };
}

/**
 * Header + body as one buffer. The full header needs the sender's serial (counting from 1) and gets
 * sub_list 0; the mini header has no serial.
 */
export function encodeMessage(
  kind: HeaderKind,
  message: { type: number; body: Buffer; serial?: bigint },
): Buffer {
  return Buffer.concat([
    encodeMessageHeader(kind, { ...message, bodySize: message.body.length }),
    message.body,
  ]);
}

/**
 * The headers of several messages of one type in one buffer: message i's header at i × stride, where the stride
 * is the header's size plus `room` bytes left unset after each (for a small first piece of its body that the
 * sender puts there, such as a mux frame header). `bodySizes[i]` is message i's whole body, room included.
 * Serials (full header only) count up from `firstSerial`. One allocation and plain stores per batch: a GET
 * sends 48 frames per batch, and this is the encoder of every header, the lone ones too.
 */
export function encodeMessageHeaders(
  kind: HeaderKind,
  type: number,
  bodySizes: readonly number[],
  room: number,
  firstSerial?: bigint,
): Buffer {
  requireUint(type, 16, 'message type');
  const stride = headerSize(kind) + room;
  const out = Buffer.allocUnsafe(stride * bodySizes.length);
  for (let index = 0, at = 0; index < bodySizes.length; index += 1, at += stride) {
    const size = bodySizes[index] ?? 0;
    if (size !== size >>> 0) requireUint(size, 32, 'message body size'); // throws
    if (kind === 'full') {
      if (firstSerial === undefined) {
        throw new RangeError('messages with a full SPICE data header need serial numbers');
      }
      out.writeBigUInt64LE(requireUint64(firstSerial + BigInt(index), 'serial'), at);
      out.writeUInt32LE(0, at + 14); // sub_list
    }
    const field = kind === 'full' ? at + 8 : at;
    out[field] = type & 0xff;
    out[field + 1] = type >>> 8;
    out[field + 2] = size & 0xff;
    out[field + 3] = (size >>> 8) & 0xff;
    out[field + 4] = (size >>> 16) & 0xff;
    out[field + 5] = size >>> 24;
  }
  return out;
}

/**
 * The header alone, for a sender that writes the body separately (a corked socket write gathers both
 * without copying the body): a batch of one.
 */
export function encodeMessageHeader(
  kind: HeaderKind,
  message: { type: number; bodySize: number; serial?: bigint },
): Buffer {
  return encodeMessageHeaders(kind, message.type, [message.bodySize], 0, message.serial);
}
