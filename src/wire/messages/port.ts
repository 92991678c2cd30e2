// Spicevmc and port channel messages (protocol doc section 5, spice.proto SpicevmcChannel/PortChannel).
// The webdav channel is a port channel; its SPICEVMC_DATA payloads form the mux byte stream.

import { BinaryReader } from '../binary-reader';
import { PortClientMsg, PortServerMsg, SpicevmcCap, SpicevmcServerMsg, VmcCompression } from '../constants';
import { WireError } from '../errors';
import { decodeLz4Block } from '../lz4-block';
import type { ClientMessage } from './client-message';
import { requireUint } from '../uint';
import { cString, pointedBytes } from './fields';

export type { ClientMessage } from './client-message';

/**
 * Cap on a decompressed SPICEVMC_COMPRESSED_DATA. The server compresses chunks of at most 64 KiB + 32 bytes
 * read from the device; 1 MiB leaves room for other servers while bounding what a bad peer can make us allocate.
 */
export const MAX_VMC_UNCOMPRESSED_SIZE = 1024 * 1024;

/**
 * Device data, as the pieces its message body arrived in (a few views of the socket's reads; `bytes` in all);
 * SPICEVMC_COMPRESSED_DATA arrives already decompressed as this, in one piece, with `compressedSize` (the LZ4
 * block's size on the wire) so the edge can count what compression saved.
 */
export type VmcServerMessage = {
  kind: 'vmc-data';
  pieces: readonly Buffer[];
  bytes: number;
  compressedSize?: number;
};

/** Device data in one buffer. */
const vmcData = (data: Buffer): VmcServerMessage => ({
  kind: 'vmc-data',
  pieces: [data],
  bytes: data.length,
});

export type PortServerMessage =
  /** `opened`: whether the guest has the virtio port open (spice-webdavd running). */
  { kind: 'port-init'; name: string; opened: boolean } | { kind: 'port-event'; event: number };

function decodeCompressedData(body: Buffer): VmcServerMessage {
  const reader = new BinaryReader(body, 'SPICEVMC_COMPRESSED_DATA');
  const compression = reader.u8();
  if (compression === VmcCompression.NONE) return vmcData(reader.rest());
  if (compression !== VmcCompression.LZ4) {
    throw new WireError(
      'unsupported',
      `SPICEVMC_COMPRESSED_DATA uses unknown compression type ${compression}`,
    );
  }
  const uncompressedSize = reader.u32();
  const block = reader.rest();
  return {
    ...vmcData(decodeLz4Block(block, uncompressedSize, MAX_VMC_UNCOMPRESSED_SIZE)),
    compressedSize: block.length,
  };
}

/**
 * Decodes a spicevmc data message, or returns undefined if `type` is not one. `advertisedCaps` are the channel
 * capabilities we sent in our link message: a server may send SPICEVMC_COMPRESSED_DATA only after we
 * advertised DATA_COMPRESS_LZ4, so without it the message is a protocol violation (WireError 'unsupported'),
 * and the LZ4 decoder never sees bytes we did not ask for.
 */
export function decodeVmcMessage(
  type: number,
  body: Buffer,
  advertisedCaps: readonly number[] = [],
): VmcServerMessage | undefined {
  switch (type) {
    case SpicevmcServerMsg.DATA:
      return vmcData(body);
    case SpicevmcServerMsg.COMPRESSED_DATA:
      if (!advertisedCaps.includes(SpicevmcCap.DATA_COMPRESS_LZ4)) {
        throw new WireError(
          'unsupported',
          'SPICEVMC_COMPRESSED_DATA arrived although this client did not advertise compression',
        );
      }
      return decodeCompressedData(body);
    default:
      return undefined;
  }
}

function decodePortInit(body: Buffer, reader: BinaryReader): PortServerMessage {
  const nameSize = reader.u32();
  const nameOffset = reader.u32();
  const opened = reader.u8() !== 0;
  return {
    kind: 'port-init',
    name: cString(pointedBytes(body, nameOffset, nameSize, 'PORT_INIT name')),
    opened,
  };
}

/** Decodes a port message, or returns undefined if `type` is not one. */
export function decodePortMessage(type: number, body: Buffer): PortServerMessage | undefined {
  const reader = new BinaryReader(body, `SPICE port message ${type}`);
  switch (type) {
    case PortServerMsg.INIT:
      return decodePortInit(body, reader);
    case PortServerMsg.EVENT:
      return { kind: 'port-event', event: reader.u8() };
    default:
      return undefined;
  }
}

/** PORT_EVENT (client to server); the server acts only on BREAK. */
export function encodePortEvent(event: number): ClientMessage {
  return { type: PortClientMsg.EVENT, body: Buffer.of(requireUint(event, 8, 'port event')) };
}
