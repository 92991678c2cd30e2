// The link handshake that opens every SPICE channel connection (protocol doc section 1):
// client SpiceLinkHeader + SpiceLinkMess + caps, server SpiceLinkHeader + SpiceLinkReply + caps,
// client auth mechanism (u32) + ticket, server link result (u32).

import { BinaryReader } from './binary-reader';
import { capsToWords, hasCap } from './caps';
import {
  CommonCap,
  SPICE_MAGIC,
  SPICE_VERSION_MAJOR,
  SPICE_VERSION_MINOR,
  TICKET_PUBKEY_BYTES,
} from './constants';
import { SaslRequiredError, WireError } from './errors';
import { requireUint } from './uint';

/** SpiceLinkHeader: magic, major, minor, size. */
export const LINK_HEADER_SIZE = 16;
/** SpiceLinkMess without its caps. */
export const LINK_MESS_SIZE = 18;
/** SpiceLinkReply without its caps. */
export const LINK_REPLY_SIZE = 178;
/** The server refuses link messages larger than this; we refuse replies larger than this. */
export const MAX_LINK_BODY_SIZE = 4096;
/** The server's limit on each caps count, which we apply to its reply too. */
export const MAX_CAPS_WORDS = 1024;
/** Size of the auth mechanism and of the link result. */
export const LINK_WORD_SIZE = 4;

export interface LinkMessage {
  /** 0 on the main channel; the session id from MAIN_INIT on every other channel. */
  connectionId: number;
  channelType: number;
  channelId: number;
  /** Capability bit numbers, e.g. [CommonCap.AUTH_SELECTION, CommonCap.MINI_HEADER]. */
  commonCaps: readonly number[];
  channelCaps: readonly number[];
}

export interface LinkHeader {
  major: number;
  minor: number;
  /** Bytes that follow the header. */
  size: number;
}

export interface LinkReply {
  /** SpiceLinkErr; 0 means the server accepts the link so far. */
  error: number;
  /** DER SubjectPublicKeyInfo of the server's RSA key for the ticket (all zeros with SASL or on error). */
  publicKey: Buffer;
  /** Capability words. */
  commonCaps: number[];
  channelCaps: number[];
}

function encodeLinkHeader(size: number): Buffer {
  const header = Buffer.alloc(LINK_HEADER_SIZE);
  header.writeUInt32LE(SPICE_MAGIC, 0);
  header.writeUInt32LE(SPICE_VERSION_MAJOR, 4);
  header.writeUInt32LE(SPICE_VERSION_MINOR, 8);
  header.writeUInt32LE(size, 12);
  return header;
}

function writeWords(target: Buffer, offset: number, words: readonly number[]): void {
  words.forEach((word, index) =>
    target.writeUInt32LE(requireUint(word, 32, 'capability word'), offset + 4 * index),
  );
}

/** The whole client link: SpiceLinkHeader, SpiceLinkMess and the cap words (caps_offset 18). */
export function encodeLinkMessage(link: LinkMessage): Buffer {
  const common = capsToWords(link.commonCaps);
  const channel = capsToWords(link.channelCaps);
  const bodySize = LINK_MESS_SIZE + 4 * (common.length + channel.length);
  const body = Buffer.alloc(bodySize);
  body.writeUInt32LE(requireUint(link.connectionId, 32, 'connectionId'), 0);
  body.writeUInt8(requireUint(link.channelType, 8, 'channelType'), 4);
  body.writeUInt8(requireUint(link.channelId, 8, 'channelId'), 5);
  body.writeUInt32LE(common.length, 6);
  body.writeUInt32LE(channel.length, 10);
  body.writeUInt32LE(LINK_MESS_SIZE, 14);
  writeWords(body, LINK_MESS_SIZE, common);
  writeWords(body, LINK_MESS_SIZE + 4 * common.length, channel);
  return Buffer.concat([encodeLinkHeader(bodySize), body]);
}

/**
 * Reads a SpiceLinkHeader. Rejects a wrong magic ('malformed') and a size over 4096 ('too-large', so the
 * caller never buffers a huge body); the major version is returned for the caller to judge.
 */
export function decodeLinkHeader(buf: Buffer): LinkHeader {
  const reader = new BinaryReader(buf, 'SPICE link header');
  const magic = reader.u32();
  if (magic !== SPICE_MAGIC) {
    throw new WireError(
      'malformed',
      `the peer is not a SPICE server: it began with ${describeMagic(buf.subarray(0, 4))} instead of "REDQ"`,
    );
  }
  const major = reader.u32();
  const minor = reader.u32();
  const size = reader.u32();
  if (size > MAX_LINK_BODY_SIZE) {
    throw new WireError(
      'too-large',
      `the SPICE link reply announces ${size} bytes, more than ${MAX_LINK_BODY_SIZE}`,
    );
  }
  return { major, minor, size };
}

function readWords(reader: BinaryReader, count: number): number[] {
  return Array.from({ length: count }, () => reader.u32());
}

interface CapsLayout {
  commonCount: number;
  channelCount: number;
  capsOffset: number;
}

function readCaps(
  body: Buffer,
  fixedSize: number,
  layout: CapsLayout,
  what: string,
): { commonCaps: number[]; channelCaps: number[] } {
  const { commonCount, channelCount, capsOffset } = layout;
  if (commonCount > MAX_CAPS_WORDS || channelCount > MAX_CAPS_WORDS) {
    throw new WireError(
      'too-large',
      `${what} announces ${commonCount} common and ${channelCount} channel capability words; at most ${MAX_CAPS_WORDS} each are allowed`,
    );
  }
  const capsEnd = capsOffset + 4 * (commonCount + channelCount);
  if (capsOffset < fixedSize || capsEnd > body.length) {
    throw new WireError(
      'malformed',
      `${what} places its capabilities at bytes ${capsOffset}..${capsEnd}, outside its ${body.length}-byte body`,
    );
  }
  const reader = new BinaryReader(body.subarray(capsOffset, capsEnd), what);
  const commonCaps = readWords(reader, commonCount);
  const channelCaps = readWords(reader, channelCount);
  return { commonCaps, channelCaps };
}

/**
 * Reads SpiceLinkReply plus its cap words from the `size` bytes after the reply header. When `error` is not
 * 0 the server zeroes the rest, so the caps are not examined and come back empty.
 */
export function decodeLinkReply(body: Buffer): LinkReply {
  const reader = new BinaryReader(body, 'SPICE link reply');
  const error = reader.u32();
  const publicKey = Buffer.from(reader.bytes(TICKET_PUBKEY_BYTES));
  const commonCount = reader.u32();
  const channelCount = reader.u32();
  const capsOffset = reader.u32();
  if (error !== 0) return { error, publicKey, commonCaps: [], channelCaps: [] };
  const caps = readCaps(
    body,
    LINK_REPLY_SIZE,
    { commonCount, channelCount, capsOffset },
    'the SPICE link reply',
  );
  return { error, publicKey, ...caps };
}

/** Encodes the server side (header + SpiceLinkReply + caps words); for fake servers in tests. */
export function encodeLinkReply(reply: {
  error: number;
  publicKey: Buffer;
  commonCaps: readonly number[];
  channelCaps: readonly number[];
}): Buffer {
  if (reply.publicKey.length !== TICKET_PUBKEY_BYTES) {
    throw new RangeError(
      `the link reply key must be ${TICKET_PUBKEY_BYTES} bytes, not ${reply.publicKey.length}`,
    );
  }
  const bodySize = LINK_REPLY_SIZE + 4 * (reply.commonCaps.length + reply.channelCaps.length);
  const body = Buffer.alloc(bodySize);
  body.writeUInt32LE(requireUint(reply.error, 32, 'error'), 0);
  reply.publicKey.copy(body, 4);
  body.writeUInt32LE(reply.commonCaps.length, 166);
  body.writeUInt32LE(reply.channelCaps.length, 170);
  body.writeUInt32LE(LINK_REPLY_SIZE, 174);
  writeWords(body, LINK_REPLY_SIZE, reply.commonCaps);
  writeWords(body, LINK_REPLY_SIZE + 4 * reply.commonCaps.length, reply.channelCaps);
  return Buffer.concat([encodeLinkHeader(bodySize), body]);
}

/** The server side of encodeLinkMessage: reads SpiceLinkMess + caps (as words); for fake servers in tests. */
export function decodeLinkMessage(body: Buffer): {
  connectionId: number;
  channelType: number;
  channelId: number;
  commonCaps: number[];
  channelCaps: number[];
} {
  const reader = new BinaryReader(body, 'SPICE link message');
  const connectionId = reader.u32();
  const channelType = reader.u8();
  const channelId = reader.u8();
  const commonCount = reader.u32();
  const channelCount = reader.u32();
  const capsOffset = reader.u32();
  const caps = readCaps(
    body,
    LINK_MESS_SIZE,
    { commonCount, channelCount, capsOffset },
    'the SPICE link message',
  );
  return { connectionId, channelType, channelId, ...caps };
}

/**
 * Picks how to authenticate from the server's common cap words. spice-webdav only does the RSA ticket, so
 * a server that offers SASL but not the ticket gets a SaslRequiredError (a LinkError) explaining what to do.
 * A server advertising neither predates auth selection and expects the ticket.
 */
export function selectAuthMechanism(serverCommonCaps: readonly number[]): 'spice' {
  if (hasCap(serverCommonCaps, CommonCap.AUTH_SASL) && !hasCap(serverCommonCaps, CommonCap.AUTH_SPICE)) {
    throw new SaslRequiredError();
  }
  return 'spice';
}

/** The 4-byte auth mechanism (AuthMechanism.SPICE = 1) sent after the link reply. */
export function encodeAuthMechanism(mechanism: number): Buffer {
  const buf = Buffer.alloc(LINK_WORD_SIZE);
  buf.writeUInt32LE(requireUint(mechanism, 32, 'auth mechanism'), 0);
  return buf;
}

/** The 4-byte link result (SpiceLinkErr) that ends the handshake. */
export function decodeLinkResult(buf: Buffer): number {
  return new BinaryReader(buf, 'SPICE link result').u32();
}

/** The first bytes of a peer that is no SPICE server, as text when they are printable ("HTTP", "SSH-"). */
function describeMagic(bytes: Buffer): string {
  const printable = [...bytes].every((byte) => byte >= 0x20 && byte < 0x7f);
  return printable ? `"${bytes.toString('latin1')}"` : `0x${bytes.toString('hex')}`;
}
