import { formatBytes } from './byte-units';

/**
 * What LZ4 compression did on the webdav channel: whether we asked the server for it, and the
 * SPICEVMC_COMPRESSED_DATA messages it sent (their size on the wire, and what they expanded to).
 */
export interface CompressionTally {
  readonly lz4: boolean;
  readonly messages: number;
  readonly compressedBytes: number;
  readonly bytes: number;
}

export const NO_COMPRESSION: CompressionTally = { lz4: false, messages: 0, compressedBytes: 0, bytes: 0 };

export function addCompressed(
  tally: CompressionTally,
  compressedBytes: number,
  bytes: number,
): CompressionTally {
  return {
    ...tally,
    messages: tally.messages + 1,
    compressedBytes: tally.compressedBytes + compressedBytes,
    bytes: tally.bytes + bytes,
  };
}

/** One status line: "off", or what the server compressed so far and to what share of its size. */
export function describeCompression(tally: CompressionTally): string {
  if (!tally.lz4) return 'off (the server sends the guest data as is)';
  if (tally.messages === 0) return 'LZ4 asked for; nothing compressed so far';
  const percent = Math.round((100 * tally.compressedBytes) / tally.bytes);
  return (
    `LZ4 asked for; ${tally.messages} messages compressed, ${formatBytes(tally.bytes)} of guest data ` +
    `in ${formatBytes(tally.compressedBytes)} (${percent} %)`
  );
}
