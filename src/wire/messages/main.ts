// Main channel messages (protocol doc section 4, spice.proto MainChannel).

import { BinaryReader } from '../binary-reader';
import { MainClientMsg, MainServerMsg } from '../constants';
import { WireError } from '../errors';
import type { ClientMessage } from './client-message';
import { cString, pointedBytes } from './fields';

export type { ClientMessage } from './client-message';

export interface MainInit {
  /** The connection_id for linking every other channel of this session. */
  sessionId: number;
  displayChannelsHint: number;
  supportedMouseModes: number;
  currentMouseMode: number;
  agentConnected: number;
  agentTokens: number;
  multiMediaTime: number;
  ramHint: number;
}

export interface ChannelRef {
  type: number;
  id: number;
}

export type MainServerMessage =
  | ({ kind: 'main-init' } & MainInit)
  | { kind: 'channels-list'; channels: ChannelRef[] }
  | { kind: 'mouse-mode'; supported: number; current: number }
  | { kind: 'multi-media-time'; time: number }
  | { kind: 'agent-connected' }
  | { kind: 'agent-disconnected'; errorCode: number }
  | { kind: 'agent-data'; data: Buffer }
  | { kind: 'agent-token'; tokens: number }
  | { kind: 'agent-connected-tokens'; tokens: number }
  | { kind: 'name'; name: string }
  | { kind: 'uuid'; uuid: string }
  | { kind: 'migrate-begin' }
  | { kind: 'migrate-begin-seamless' }
  | { kind: 'migrate-cancel' }
  | { kind: 'migrate-switch-host'; host: string; port: number; tlsPort: number; certSubject: string }
  | { kind: 'migrate-end' }
  | { kind: 'migrate-dst-seamless-ack' }
  | { kind: 'migrate-dst-seamless-nack' };

const UUID_BYTES = 16;
const CHANNEL_REF_SIZE = 2;

function decodeInit(reader: BinaryReader): MainServerMessage {
  return {
    kind: 'main-init',
    sessionId: reader.u32(),
    displayChannelsHint: reader.u32(),
    supportedMouseModes: reader.u32(),
    currentMouseMode: reader.u32(),
    agentConnected: reader.u32(),
    agentTokens: reader.u32(),
    multiMediaTime: reader.u32(),
    ramHint: reader.u32(),
  };
}

function decodeChannelsList(reader: BinaryReader): MainServerMessage {
  const count = reader.u32();
  // Check before allocating, so a huge count in a tiny body cannot make us build a huge array.
  if (count > Math.floor(reader.remaining / CHANNEL_REF_SIZE)) {
    throw new WireError(
      'truncated',
      `SPICE CHANNELS_LIST announces ${count} channels but holds only ${reader.remaining} bytes of entries`,
    );
  }
  const channels = Array.from({ length: count }, () => ({ type: reader.u8(), id: reader.u8() }));
  return { kind: 'channels-list', channels };
}

function formatUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}

function decodeSwitchHost(body: Buffer, reader: BinaryReader): MainServerMessage {
  const port = reader.u16();
  const tlsPort = reader.u16();
  const hostSize = reader.u32();
  const hostOffset = reader.u32();
  const certSubjectSize = reader.u32();
  const certSubjectOffset = reader.u32();
  const host = cString(pointedBytes(body, hostOffset, hostSize, 'MIGRATE_SWITCH_HOST host'));
  const certSubject = cString(
    pointedBytes(body, certSubjectOffset, certSubjectSize, 'MIGRATE_SWITCH_HOST cert subject'),
  );
  return { kind: 'migrate-switch-host', host, port, tlsPort, certSubject };
}

/** Decodes a main channel message, or returns undefined if `type` is not one. */
export function decodeMainMessage(type: number, body: Buffer): MainServerMessage | undefined {
  const reader = new BinaryReader(body, `SPICE main message ${type}`);
  switch (type) {
    case MainServerMsg.MIGRATE_BEGIN:
      return { kind: 'migrate-begin' };
    case MainServerMsg.MIGRATE_CANCEL:
      return { kind: 'migrate-cancel' };
    case MainServerMsg.INIT:
      return decodeInit(reader);
    case MainServerMsg.CHANNELS_LIST:
      return decodeChannelsList(reader);
    case MainServerMsg.MOUSE_MODE:
      return { kind: 'mouse-mode', supported: reader.u16(), current: reader.u16() };
    case MainServerMsg.MULTI_MEDIA_TIME:
      return { kind: 'multi-media-time', time: reader.u32() };
    case MainServerMsg.AGENT_CONNECTED:
      return { kind: 'agent-connected' };
    case MainServerMsg.AGENT_DISCONNECTED:
      return { kind: 'agent-disconnected', errorCode: reader.u32() };
    case MainServerMsg.AGENT_DATA:
      return { kind: 'agent-data', data: body };
    case MainServerMsg.AGENT_TOKEN:
      return { kind: 'agent-token', tokens: reader.u32() };
    case MainServerMsg.MIGRATE_SWITCH_HOST:
      return decodeSwitchHost(body, reader);
    case MainServerMsg.MIGRATE_END:
      return { kind: 'migrate-end' };
    case MainServerMsg.NAME:
      return { kind: 'name', name: cString(reader.bytes(reader.u32())) };
    case MainServerMsg.UUID:
      return { kind: 'uuid', uuid: formatUuid(reader.bytes(UUID_BYTES)) };
    case MainServerMsg.AGENT_CONNECTED_TOKENS:
      return { kind: 'agent-connected-tokens', tokens: reader.u32() };
    case MainServerMsg.MIGRATE_BEGIN_SEAMLESS:
      return { kind: 'migrate-begin-seamless' };
    case MainServerMsg.MIGRATE_DST_SEAMLESS_ACK:
      return { kind: 'migrate-dst-seamless-ack' };
    case MainServerMsg.MIGRATE_DST_SEAMLESS_NACK:
      return { kind: 'migrate-dst-seamless-nack' };
    default:
      return undefined;
  }
}

/** ATTACH_CHANNELS: asks the server for CHANNELS_LIST (empty body). */
export function encodeAttachChannels(): ClientMessage {
  return { type: MainClientMsg.ATTACH_CHANNELS, body: Buffer.alloc(0) };
}
