import { SpicevmcCap } from '../../wire/constants';

/**
 * Whether the webdav channel advertises DATA_COMPRESS_LZ4. Off: the server then never compresses, and any
 * SPICEVMC_COMPRESSED_DATA it sends anyway closes the channel as a protocol error (wire/messages/port.ts),
 * so the LZ4 decoder only ever sees data we asked for. Turning it on is the slow-link part of the
 * performance work; the decoder (wire/lz4-block.ts) is linear in its output and capped.
 */
export const WEBDAV_ADVERTISES_LZ4 = false;

/** The channel capability bits the webdav channel's link message advertises. */
export function webdavChannelCaps(advertiseLz4: boolean = WEBDAV_ADVERTISES_LZ4): number[] {
  return advertiseLz4 ? [SpicevmcCap.DATA_COMPRESS_LZ4] : [];
}
