import type { Socket } from 'node:net';

import { SpicevmcCap } from '../../wire/constants';
import type { SpiceEndpoint } from './target';

/**
 * Whether the webdav channel asks spice-server to LZ4-compress what the guest sends (PUT bodies, requests):
 * - 'auto' (the default): only where the link is slow enough for compression to pay, see linkIsRemote;
 * - 'on': always (spice-server itself still never compresses on a unix socket);
 * - 'off': never.
 * Compression is one-way: we never send SPICEVMC_COMPRESSED_DATA. spice-server stores decompressed client data
 * without taking one of its 128 flow-control tokens, so compressed uploads would bypass its back-pressure
 * (docs/spice-webdav-protocol.md, "LZ4").
 */
export type CompressionMode = 'auto' | 'on' | 'off';

export const COMPRESSION_MODES: readonly CompressionMode[] = ['auto', 'on', 'off'];

/**
 * Whether a connected socket leads off this machine. Compression costs QEMU CPU on every chunk (taken from
 * the guest on a busy host) and saves only bytes on the wire, so it pays on a network link, not on loopback:
 * - a unix socket never leaves the machine (and spice-server does not compress on AF_UNIX anyway);
 * - an ssh tunnel (`via`, a libvirt display on a remote host's loopback) is a socket pair to ssh here, but the
 *   bytes cross the network between us and that host, which is the point of the tunnel;
 * - TCP or TLS: remote unless the peer is a loopback address or one of our own (peer address = local address).
 */
export function linkIsRemote(
  endpoint: SpiceEndpoint,
  socket: Pick<Socket, 'remoteAddress' | 'localAddress'>,
): boolean {
  if (endpoint.kind === 'unix') return false;
  if (endpoint.via !== undefined) return true;
  const peer = socket.remoteAddress;
  if (peer === undefined) return false;
  return !isLoopbackAddress(peer) && peer !== socket.localAddress;
}

function isLoopbackAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** Whether to advertise DATA_COMPRESS_LZ4 on a webdav channel connected over `socket` to `endpoint`. */
export function webdavAdvertisesLz4(
  mode: CompressionMode,
  endpoint: SpiceEndpoint,
  socket: Pick<Socket, 'remoteAddress' | 'localAddress'>,
): boolean {
  switch (mode) {
    case 'on':
      return true;
    case 'off':
      return false;
    case 'auto':
      return linkIsRemote(endpoint, socket);
  }
}

/**
 * The channel capability bits the webdav channel's link message advertises. Without DATA_COMPRESS_LZ4 the
 * server never compresses, and any SPICEVMC_COMPRESSED_DATA it sends anyway closes the channel as a protocol
 * error (wire/messages/port.ts), so the LZ4 decoder only ever sees data we asked for.
 */
export function webdavChannelCaps(advertiseLz4: boolean): number[] {
  return advertiseLz4 ? [SpicevmcCap.DATA_COMPRESS_LZ4] : [];
}
