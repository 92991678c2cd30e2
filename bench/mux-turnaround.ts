// Per-request turnaround of a SPICE client, read from a capture of its SPICE socket: the webdav channel is
// followed through the link, its SPICEVMC_DATA messages joined into the mux stream, and for every mux client
// the time from the segment that brought the last byte of what the guest sent to the segment that took the
// first byte of the client's answer. It needs no request order: with rclone's 4 parallel transfers on 4 mux
// clients, a request that waits while the client serves another counts its wait, as the guest sees it.
// Pure; the same reading for every client (ours and spice-gtk speak the same wire).

import { hasCap } from '../src/wire/caps';
import {
  ChannelType,
  CommonCap,
  MUX_HEADER_SIZE,
  SpicevmcClientMsg,
  SpicevmcServerMsg,
} from '../src/wire/constants';
import { decodeDataHeader, headerSize, type HeaderKind } from '../src/wire/data-header';
import { LINK_HEADER_SIZE, decodeLinkHeader, decodeLinkMessage, decodeLinkReply } from '../src/wire/link';
import { stretchAt, timeOfByte, type TcpConnection, type TcpStream } from './pcap';

/** The RSA-encrypted ticket a client sends after the link (1024-bit key). */
const TICKET_BYTES = 128;
const AUTH_MECHANISM_BYTES = 4;
const LINK_RESULT_BYTES = 4;
/** Enough of a request line for its method (the longest WebDAV method, PROPPATCH, and a space). */
const METHOD_BYTES = 17;

/** A mux frame as seen on the wire: whose, how big, and when its first and last bytes were captured. */
export interface TimedMuxFrame {
  readonly id: string;
  readonly size: number;
  readonly firstMs: number;
  readonly lastMs: number;
  /** A view of the payload in the joined mux stream. */
  readonly payload: Buffer;
}

export interface MuxTurnarounds {
  /** One per answer that followed something the guest sent, in the order of the answers. */
  readonly turnaroundsMs: number[];
  /** When each of those answers started (capture time, ms since the epoch). */
  readonly answeredAtMs: number[];
  /** The HTTP method of the request each answered ('?' where what the guest sent did not start with one). */
  readonly methods: string[];
  readonly guestFrames: number;
  readonly clientFrames: number;
  /** SPICEVMC_COMPRESSED_DATA messages: their frames cannot be timed here (none on loopback by default). */
  readonly compressedMessages: number;
  /** The capture missed bytes of this channel: what follows them is not counted. */
  readonly incomplete: boolean;
}

/** The link a client sent first on a connection, and its size on the wire (header and body). */
function clientLink(toServer: TcpStream): { link: ReturnType<typeof decodeLinkMessage>; bytes: number } {
  const header = decodeLinkHeader(toServer.bytes.subarray(0, LINK_HEADER_SIZE));
  const end = LINK_HEADER_SIZE + header.size;
  return { link: decodeLinkMessage(toServer.bytes.subarray(LINK_HEADER_SIZE, end)), bytes: end };
}

/** The channel type a client asked for in its link, or undefined if the stream does not start with one. */
export function linkedChannelType(toServer: TcpStream): number | undefined {
  try {
    return clientLink(toServer).link.channelType;
  } catch {
    return undefined;
  }
}

/** Where each direction's data messages start, and which header they use, from the two link exchanges. */
function afterLink({ toServer, fromServer }: TcpConnection): {
  toServer: number;
  fromServer: number;
  kind: HeaderKind;
} {
  const client = clientLink(toServer);
  const serverHeader = decodeLinkHeader(fromServer.bytes.subarray(0, LINK_HEADER_SIZE));
  const reply = decodeLinkReply(
    fromServer.bytes.subarray(LINK_HEADER_SIZE, LINK_HEADER_SIZE + serverHeader.size),
  );
  const both = (bit: number): boolean => hasCap(client.link.commonCaps, bit) && hasCap(reply.commonCaps, bit);
  return {
    toServer: client.bytes + (both(CommonCap.AUTH_SELECTION) ? AUTH_MECHANISM_BYTES : 0) + TICKET_BYTES,
    fromServer: LINK_HEADER_SIZE + serverHeader.size + LINK_RESULT_BYTES,
    kind: both(CommonCap.MINI_HEADER) ? 'mini' : 'full',
  };
}

/** The mux frames of one direction, each with the capture times of its first and last bytes. */
export function timedMuxFrames(
  stream: TcpStream,
  start: number,
  kind: HeaderKind,
  types: { readonly data: number; readonly compressed: number },
): { frames: TimedMuxFrame[]; compressedMessages: number } {
  const { bytes } = stream;
  const size = headerSize(kind);
  // The mux stream is the bodies of the data messages, joined; `pieces` maps it back to the TCP stream.
  const pieces: { muxOffset: number; tcpOffset: number }[] = [];
  const bodies: Buffer[] = [];
  let muxLength = 0;
  let compressedMessages = 0;
  for (let at = start; at + size <= bytes.length;) {
    const header = decodeDataHeader(kind, bytes.subarray(at, at + size));
    const bodyAt = at + size;
    if (bodyAt + header.size > bytes.length) break;
    if (header.type === types.data && header.size > 0) {
      pieces.push({ muxOffset: muxLength, tcpOffset: bodyAt });
      bodies.push(bytes.subarray(bodyAt, bodyAt + header.size));
      muxLength += header.size;
    } else if (header.type === types.compressed) {
      compressedMessages++;
    }
    at = bodyAt + header.size;
  }
  const mux = Buffer.concat(bodies, muxLength);
  const tcpOffsetOf = (muxOffset: number): number => {
    const piece = stretchAt(pieces, (p) => p.muxOffset, muxOffset);
    if (piece === undefined) throw new RangeError('no data message holds this mux offset');
    return piece.tcpOffset + (muxOffset - piece.muxOffset);
  };
  const frames: TimedMuxFrame[] = [];
  for (let at = 0; at + MUX_HEADER_SIZE <= mux.length;) {
    const payload = mux.readUInt16LE(at + 8);
    const end = at + MUX_HEADER_SIZE + payload;
    if (end > mux.length) break;
    frames.push({
      id: mux.subarray(at, at + 8).toString('hex'),
      size: payload,
      firstMs: timeOfByte(stream, tcpOffsetOf(at)),
      lastMs: timeOfByte(stream, tcpOffsetOf(end - 1)),
      payload: mux.subarray(at + MUX_HEADER_SIZE, end),
    });
    at = end;
  }
  return { frames, compressedMessages };
}

/**
 * Turnarounds of the webdav channel in one SPICE connection's two streams: for each mux client, from the last
 * byte the guest sent before an answer to the first byte of that answer. Close frames (size 0) are not
 * requests or answers.
 */
export function muxTurnarounds(channel: TcpConnection): MuxTurnarounds {
  const { toServer, fromServer } = channel;
  const starts = afterLink(channel);
  const guest = timedMuxFrames(fromServer, starts.fromServer, starts.kind, {
    data: SpicevmcServerMsg.DATA,
    compressed: SpicevmcServerMsg.COMPRESSED_DATA,
  });
  const client = timedMuxFrames(toServer, starts.toServer, starts.kind, {
    data: SpicevmcClientMsg.DATA,
    compressed: SpicevmcClientMsg.COMPRESSED_DATA,
  });
  type Event = { readonly atMs: number; readonly fromGuest: boolean; readonly frame: TimedMuxFrame };
  const events: Event[] = [
    ...guest.frames
      .filter((f) => f.size > 0)
      .map((frame) => ({ atMs: frame.lastMs, fromGuest: true, frame })),
    ...client.frames
      .filter((f) => f.size > 0)
      .map((frame) => ({ atMs: frame.firstMs, fromGuest: false, frame })),
  ];
  // Stable: on a tie the guest's frame (listed first) comes first.
  events.sort((a, b) => a.atMs - b.atMs);
  const waitingSince = new Map<string, number>();
  /** Per mux client, the first bytes the guest has sent since the client last answered (its request line). */
  const asked = new Map<string, string>();
  const turnaroundsMs: number[] = [];
  const answeredAtMs: number[] = [];
  const methods: string[] = [];
  for (const { atMs, fromGuest, frame } of events) {
    if (fromGuest) {
      const head = asked.get(frame.id) ?? '';
      if (head.length < METHOD_BYTES)
        asked.set(frame.id, head + frame.payload.subarray(0, METHOD_BYTES - head.length).toString('latin1'));
      waitingSince.set(frame.id, atMs);
      continue;
    }
    const since = waitingSince.get(frame.id);
    if (since === undefined) continue;
    turnaroundsMs.push(atMs - since);
    answeredAtMs.push(atMs);
    methods.push(/^([A-Z]{3,16}) /.exec(asked.get(frame.id) ?? '')?.[1] ?? '?');
    waitingSince.delete(frame.id);
    asked.delete(frame.id);
  }
  return {
    turnaroundsMs,
    answeredAtMs,
    methods,
    guestFrames: guest.frames.length,
    clientFrames: client.frames.length,
    compressedMessages: guest.compressedMessages + client.compressedMessages,
    incomplete: toServer.incomplete || fromServer.incomplete,
  };
}

/** The webdav channel among a capture's SPICE connections (keyed as tcpStreamsOf keys them). */
export function webdavChannelOf(streams: ReadonlyMap<number, TcpConnection>): TcpConnection | undefined {
  const linked = [...streams.values()].map((pair) => ({ pair, type: linkedChannelType(pair.toServer) }));
  return (
    linked.find((l) => l.type === ChannelType.WEBDAV)?.pair ??
    linked.find((l) => l.type === ChannelType.PORT)?.pair
  );
}
