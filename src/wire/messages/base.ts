// Messages every SPICE channel carries (protocol doc section 3, spice.proto BaseChannel).

import { BinaryReader } from '../binary-reader';
import { BaseClientMsg, BaseServerMsg } from '../constants';
import type { ClientMessage } from './client-message';
import { requireUint, requireUint64 } from '../uint';
import { cString } from './fields';

export type { ClientMessage } from './client-message';

export interface ChannelWait {
  type: number;
  id: number;
  serial: bigint;
}

export type BaseServerMessage =
  | { kind: 'migrate'; flags: number }
  | { kind: 'migrate-data'; data: Buffer }
  | { kind: 'set-ack'; generation: number; window: number }
  /** `size` is the whole body length, filler included (the network test pings are 250 KiB). */
  | { kind: 'ping'; id: number; timestamp: bigint; size: number }
  | { kind: 'wait-for-channels'; channels: ChannelWait[] }
  | { kind: 'disconnecting'; timestamp: bigint; reason: number }
  | {
      kind: 'notify';
      timestamp: bigint;
      severity: number;
      visibility: number;
      what: number;
      message: string;
    }
  /** A display sub-message list; never sent on the channels we use, so it stays opaque. */
  | { kind: 'list'; data: Buffer };

function decodeWaitForChannels(reader: BinaryReader): BaseServerMessage {
  const count = reader.u8();
  const channels = Array.from({ length: count }, () => ({
    type: reader.u8(),
    id: reader.u8(),
    serial: reader.u64(),
  }));
  return { kind: 'wait-for-channels', channels };
}

function decodeNotify(reader: BinaryReader): BaseServerMessage {
  const timestamp = reader.u64();
  const severity = reader.u32();
  const visibility = reader.u32();
  const what = reader.u32();
  const length = reader.u32();
  return { kind: 'notify', timestamp, severity, visibility, what, message: cString(reader.bytes(length)) };
}

/** Decodes a base message, or returns undefined if `type` is not one. */
export function decodeBaseMessage(type: number, body: Buffer): BaseServerMessage | undefined {
  const reader = new BinaryReader(body, `SPICE base message ${type}`);
  switch (type) {
    case BaseServerMsg.MIGRATE:
      return { kind: 'migrate', flags: reader.u32() };
    case BaseServerMsg.MIGRATE_DATA:
      return { kind: 'migrate-data', data: body };
    case BaseServerMsg.SET_ACK:
      return { kind: 'set-ack', generation: reader.u32(), window: reader.u32() };
    case BaseServerMsg.PING:
      return { kind: 'ping', id: reader.u32(), timestamp: reader.u64(), size: body.length };
    case BaseServerMsg.WAIT_FOR_CHANNELS:
      return decodeWaitForChannels(reader);
    case BaseServerMsg.DISCONNECTING:
      return { kind: 'disconnecting', timestamp: reader.u64(), reason: reader.u32() };
    case BaseServerMsg.NOTIFY:
      return decodeNotify(reader);
    case BaseServerMsg.LIST:
      return { kind: 'list', data: body };
    default:
      return undefined;
  }
}

/** PONG: echoes the PING's id and timestamp, without its filler (12 bytes). */
export function encodePong(id: number, timestamp: bigint): ClientMessage {
  const body = Buffer.alloc(12);
  body.writeUInt32LE(requireUint(id, 32, 'ping id'), 0);
  body.writeBigUInt64LE(requireUint64(timestamp, 'ping timestamp'), 4);
  return { type: BaseClientMsg.PONG, body };
}

/** ACK_SYNC: acknowledges SET_ACK's generation. */
export function encodeAckSync(generation: number): ClientMessage {
  const body = Buffer.alloc(4);
  body.writeUInt32LE(requireUint(generation, 32, 'ack generation'), 0);
  return { type: BaseClientMsg.ACK_SYNC, body };
}

/** ACK: sent each time the SET_ACK window of messages has been received. */
export function encodeAck(): ClientMessage {
  return { type: BaseClientMsg.ACK, body: Buffer.alloc(0) };
}
