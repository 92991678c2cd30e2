// Protocol numbers for SPICE link, data messages and the spice-webdavd mux.
// Source of every value: docs/spice-webdav-protocol.md sections 1-6 (spice-protocol enums.h / protocol.h,
// spice.proto). Each table is an `as const` object plus a union type of its values.

type ValueOf<T> = T[keyof T];

/** Channel types (`spice/enums.h` SpiceChannelType). */
export const ChannelType = {
  MAIN: 1,
  DISPLAY: 2,
  INPUTS: 3,
  CURSOR: 4,
  PLAYBACK: 5,
  RECORD: 6,
  TUNNEL: 7,
  SMARTCARD: 8,
  USBREDIR: 9,
  PORT: 10,
  WEBDAV: 11,
} as const;
export type ChannelType = ValueOf<typeof ChannelType>;

/** SpiceLinkErr: the `error` field of SpiceLinkReply and the 4-byte link result. */
export const LinkErrorCode = {
  OK: 0,
  ERROR: 1,
  INVALID_MAGIC: 2,
  INVALID_DATA: 3,
  VERSION_MISMATCH: 4,
  NEED_SECURED: 5,
  NEED_UNSECURED: 6,
  PERMISSION_DENIED: 7,
  BAD_CONNECTION_ID: 8,
  CHANNEL_NOT_AVAILABLE: 9,
} as const;
export type LinkErrorCode = ValueOf<typeof LinkErrorCode>;

/** Common capability bit numbers, shared by every channel (`spice/protocol.h`). */
export const CommonCap = {
  AUTH_SELECTION: 0,
  AUTH_SPICE: 1,
  AUTH_SASL: 2,
  MINI_HEADER: 3,
} as const;
export type CommonCap = ValueOf<typeof CommonCap>;

/** Main channel capability bit numbers. */
export const MainCap = {
  SEMI_SEAMLESS_MIGRATE: 0,
  NAME_AND_UUID: 1,
  AGENT_CONNECTED_TOKENS: 2,
  SEAMLESS_MIGRATE: 3,
} as const;
export type MainCap = ValueOf<typeof MainCap>;

/** Spicevmc (port, webdav, usbredir, smartcard) channel capability bit numbers. */
export const SpicevmcCap = {
  DATA_COMPRESS_LZ4: 0,
} as const;
export type SpicevmcCap = ValueOf<typeof SpicevmcCap>;

/** Values of the 4-byte auth mechanism the client sends after the link reply (the cap numbers). */
export const AuthMechanism = {
  SPICE: 1,
  SASL: 2,
} as const;
export type AuthMechanism = ValueOf<typeof AuthMechanism>;

/** Server-to-client messages every channel understands. */
export const BaseServerMsg = {
  MIGRATE: 1,
  MIGRATE_DATA: 2,
  SET_ACK: 3,
  PING: 4,
  WAIT_FOR_CHANNELS: 5,
  DISCONNECTING: 6,
  NOTIFY: 7,
  LIST: 8,
} as const;
export type BaseServerMsg = ValueOf<typeof BaseServerMsg>;

/** Client-to-server messages every channel understands. */
export const BaseClientMsg = {
  ACK_SYNC: 1,
  ACK: 2,
  PONG: 3,
  MIGRATE_FLUSH_MARK: 4,
  MIGRATE_DATA: 5,
  DISCONNECTING: 6,
} as const;
export type BaseClientMsg = ValueOf<typeof BaseClientMsg>;

/** Server-to-client messages of the main channel. */
export const MainServerMsg = {
  MIGRATE_BEGIN: 101,
  MIGRATE_CANCEL: 102,
  INIT: 103,
  CHANNELS_LIST: 104,
  MOUSE_MODE: 105,
  MULTI_MEDIA_TIME: 106,
  AGENT_CONNECTED: 107,
  AGENT_DISCONNECTED: 108,
  AGENT_DATA: 109,
  AGENT_TOKEN: 110,
  MIGRATE_SWITCH_HOST: 111,
  MIGRATE_END: 112,
  NAME: 113,
  UUID: 114,
  AGENT_CONNECTED_TOKENS: 115,
  MIGRATE_BEGIN_SEAMLESS: 116,
  MIGRATE_DST_SEAMLESS_ACK: 117,
  MIGRATE_DST_SEAMLESS_NACK: 118,
} as const;
export type MainServerMsg = ValueOf<typeof MainServerMsg>;

/** Client-to-server messages of the main channel. */
export const MainClientMsg = {
  CLIENT_INFO: 101,
  MIGRATE_CONNECTED: 102,
  MIGRATE_CONNECT_ERROR: 103,
  ATTACH_CHANNELS: 104,
  MOUSE_MODE_REQUEST: 105,
  AGENT_START: 106,
  AGENT_DATA: 107,
  AGENT_TOKEN: 108,
  MIGRATE_END: 109,
  MIGRATE_DST_DO_SEAMLESS: 110,
  MIGRATE_CONNECTED_SEAMLESS: 111,
  QUALITY_INDICATOR: 112,
} as const;
export type MainClientMsg = ValueOf<typeof MainClientMsg>;

/** Server-to-client data messages of the spicevmc family (port, webdav, usbredir, smartcard). */
export const SpicevmcServerMsg = {
  DATA: 101,
  COMPRESSED_DATA: 102,
} as const;
export type SpicevmcServerMsg = ValueOf<typeof SpicevmcServerMsg>;

/** Client-to-server data messages of the spicevmc family. */
export const SpicevmcClientMsg = {
  DATA: 101,
  COMPRESSED_DATA: 102,
} as const;
export type SpicevmcClientMsg = ValueOf<typeof SpicevmcClientMsg>;

/** The `type` byte of SPICEVMC_COMPRESSED_DATA. */
export const VmcCompression = {
  NONE: 0,
  LZ4: 1,
} as const;
export type VmcCompression = ValueOf<typeof VmcCompression>;

/** Server-to-client messages of port channels (PORT and WEBDAV). */
export const PortServerMsg = {
  INIT: 201,
  EVENT: 202,
} as const;
export type PortServerMsg = ValueOf<typeof PortServerMsg>;

/** Client-to-server messages of port channels. */
export const PortClientMsg = {
  EVENT: 201,
} as const;
export type PortClientMsg = ValueOf<typeof PortClientMsg>;

/** Port events, both directions. */
export const PortEvent = {
  OPENED: 0,
  CLOSED: 1,
  BREAK: 2,
} as const;
export type PortEvent = ValueOf<typeof PortEvent>;

/** NOTIFY severity. */
export const NotifySeverity = {
  INFO: 0,
  WARN: 1,
  ERROR: 2,
} as const;
export type NotifySeverity = ValueOf<typeof NotifySeverity>;

/** NOTIFY visibility. */
export const NotifyVisibility = {
  LOW: 0,
  MEDIUM: 1,
  HIGH: 2,
} as const;
export type NotifyVisibility = ValueOf<typeof NotifyVisibility>;

/** Flags of the base MIGRATE message. */
export const MigrateFlag = {
  NEED_FLUSH: 1,
  NEED_DATA_TRANSFER: 2,
} as const;
export type MigrateFlag = ValueOf<typeof MigrateFlag>;

/** "REDQ" read as a little-endian u32 (`SPICE_MAGIC_CONST` in spice/macros.h). */
export const SPICE_MAGIC = 0x51444552;
/** The same magic as the four bytes on the wire. */
export const SPICE_MAGIC_BYTES: Readonly<Buffer> = Buffer.from('REDQ', 'latin1');
export const SPICE_VERSION_MAJOR = 2;
export const SPICE_VERSION_MINOR = 2;

/** DER SubjectPublicKeyInfo of the server's 1024-bit RSA key in SpiceLinkReply. */
export const TICKET_PUBKEY_BYTES = 162;
/** spice-gtk's SPICE_MAX_PASSWORD_LENGTH; the server compares at most this many bytes. */
export const MAX_PASSWORD_BYTES = 60;

/** Largest payload of one spice-webdavd mux frame (u16 size field). */
export const MUX_MAX_PAYLOAD = 65535;
/** Mux frame header: 8-byte client id + u16 payload size. */
export const MUX_HEADER_SIZE = 10;
