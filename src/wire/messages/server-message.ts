// Decodes any server-to-client data message into one discriminated union, by channel type and message
// type: base messages (1..8) on every channel, main messages on MAIN, spicevmc data on the vmc family and
// port messages on PORT/WEBDAV. Anything else is 'unknown' so callers can ignore it deliberately.

import { ChannelType, SpicevmcServerMsg } from '../constants';
import { decodeBaseMessage, type BaseServerMessage } from './base';
import { decodeMainMessage, type MainServerMessage } from './main';
import { decodePortMessage, decodeVmcMessage, type PortServerMessage, type VmcServerMessage } from './port';

export type { ClientMessage } from './client-message';
export type { BaseServerMessage, ChannelWait } from './base';
export type { ChannelRef, MainInit, MainServerMessage } from './main';
export type { PortServerMessage, VmcServerMessage } from './port';

export type UnknownServerMessage = { kind: 'unknown'; channelType: number; type: number; body: Buffer };

export type ServerMessage =
  BaseServerMessage | MainServerMessage | VmcServerMessage | PortServerMessage | UnknownServerMessage;

export type ServerMessageKind = ServerMessage['kind'];

const vmcChannels: ReadonlySet<number> = new Set([
  ChannelType.SMARTCARD,
  ChannelType.USBREDIR,
  ChannelType.PORT,
  ChannelType.WEBDAV,
]);
const portChannels: ReadonlySet<number> = new Set([ChannelType.PORT, ChannelType.WEBDAV]);

function decodeChannelMessage(
  channelType: number,
  type: number,
  body: Buffer,
  advertisedCaps: readonly number[],
): ServerMessage | undefined {
  if (channelType === ChannelType.MAIN) return decodeMainMessage(type, body);
  if (portChannels.has(channelType)) {
    return decodeVmcMessage(type, body, advertisedCaps) ?? decodePortMessage(type, body);
  }
  if (vmcChannels.has(channelType)) return decodeVmcMessage(type, body, advertisedCaps);
  return undefined;
}

/**
 * Decodes one message body. Throws only WireError, for a body that does not match its type or that needs a
 * channel capability we did not advertise (`advertisedCaps`, the bit numbers of our link message). Extra bytes
 * after the known fields are ignored, as newer servers may append fields.
 */
export function decodeServerMessage(
  channelType: number,
  type: number,
  body: Buffer,
  advertisedCaps: readonly number[] = [],
): ServerMessage {
  return (
    decodeBaseMessage(type, body) ??
    decodeChannelMessage(channelType, type, body, advertisedCaps) ?? {
      kind: 'unknown',
      channelType,
      type,
      body,
    }
  );
}

/**
 * `decodeServerMessage` for a body that came as pieces: device data (SPICEVMC_DATA on a vmc channel) keeps
 * them as they are, so it is never copied; any other message is joined first (they are small).
 */
export function decodeServerMessagePieces(
  channelType: number,
  type: number,
  pieces: readonly Buffer[],
  size: number,
  advertisedCaps: readonly number[] = [],
): ServerMessage {
  if (type === SpicevmcServerMsg.DATA && vmcChannels.has(channelType)) {
    return { kind: 'vmc-data', pieces, bytes: size };
  }
  const body = pieces.length === 1 ? (pieces[0] ?? Buffer.alloc(0)) : Buffer.concat(pieces, size);
  return decodeServerMessage(channelType, type, body, advertisedCaps);
}
