// A reader for what `tcpdump -w` writes (the classic libpcap file format), down to TCP byte streams: enough for
// the bench to follow one SPICE channel through a capture on loopback. Pure: a file's bytes in, streams out.

/** A TCP segment with payload, as captured. */
export interface TcpSegment {
  /** Capture time, ms since the epoch. */
  readonly timeMs: number;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly source: string;
  readonly destination: string;
  readonly seq: number;
  readonly syn: boolean;
  readonly payload: Buffer;
  /** The capture cut the packet short (snap length): its payload is incomplete. */
  readonly truncated: boolean;
}

/** One direction of a TCP connection, reassembled: its bytes and when each stretch of them was seen. */
export interface TcpStream {
  readonly bytes: Buffer;
  /** Ascending: `offset` is where in `bytes` the segment seen at `timeMs` starts. */
  readonly arrivals: readonly { readonly offset: number; readonly timeMs: number }[];
  /** Bytes missing from the capture (a gap in sequence numbers, or a truncated packet): `bytes` stops there. */
  readonly incomplete: boolean;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_LINUX_SLL = 113;
const LINKTYPE_LINUX_SLL2 = 276;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const IP_PROTOCOL_TCP = 6;

/** Where the IP packet starts in a captured frame, by link type; undefined: not IP. */
function ipOffset(linkType: number, frame: Buffer): number | undefined {
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return frame.length >= 14 && isIp(frame.readUInt16BE(12)) ? 14 : undefined;
    case LINKTYPE_LINUX_SLL:
      return frame.length >= 16 && isIp(frame.readUInt16BE(14)) ? 16 : undefined;
    case LINKTYPE_LINUX_SLL2:
      return frame.length >= 20 && isIp(frame.readUInt16BE(0)) ? 20 : undefined;
    case LINKTYPE_RAW:
      return 0;
    default:
      throw new Error(
        `pcap: link type ${linkType} is not one this reader knows (Ethernet, Linux SLL, raw IP)`,
      );
  }
}

function isIp(etherType: number): boolean {
  return etherType === ETHERTYPE_IPV4 || etherType === ETHERTYPE_IPV6;
}

function tcpSegmentOf(frame: Buffer, at: number, timeMs: number, truncated: boolean): TcpSegment | undefined {
  if (frame.length < at + 1) return undefined;
  const version = frame[at]! >> 4;
  let tcpAt: number;
  let ipEnd: number;
  let source: string;
  let destination: string;
  if (version === 4) {
    if (frame.length < at + 20 || frame[at + 9] !== IP_PROTOCOL_TCP) return undefined;
    tcpAt = at + (frame[at]! & 0x0f) * 4;
    ipEnd = at + frame.readUInt16BE(at + 2); // Ethernet may pad short packets
    source = [...frame.subarray(at + 12, at + 16)].join('.');
    destination = [...frame.subarray(at + 16, at + 20)].join('.');
  } else if (version === 6) {
    if (frame.length < at + 40 || frame[at + 6] !== IP_PROTOCOL_TCP) return undefined;
    tcpAt = at + 40;
    ipEnd = tcpAt + frame.readUInt16BE(at + 4);
    source = frame.subarray(at + 8, at + 24).toString('hex');
    destination = frame.subarray(at + 24, at + 40).toString('hex');
  } else {
    return undefined;
  }
  if (frame.length < tcpAt + 20) return undefined;
  const payloadAt = tcpAt + (frame[tcpAt + 12]! >> 4) * 4;
  return {
    timeMs,
    source,
    destination,
    sourcePort: frame.readUInt16BE(tcpAt),
    destinationPort: frame.readUInt16BE(tcpAt + 2),
    seq: frame.readUInt32BE(tcpAt + 4),
    syn: (frame[tcpAt + 13]! & 0x02) !== 0,
    payload: frame.subarray(Math.min(payloadAt, frame.length), Math.min(ipEnd, frame.length)),
    truncated: truncated || ipEnd > frame.length,
  };
}

/** The TCP segments of a pcap file, in capture order (non-TCP packets left out). */
export function tcpSegmentsOf(file: Buffer): TcpSegment[] {
  if (file.length < 24) throw new Error('pcap: shorter than its 24-byte header');
  const magicLE = file.readUInt32LE(0);
  const magicBE = file.readUInt32BE(0);
  const little = magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d;
  if (!little && magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d)
    throw new Error('pcap: not a pcap file (pcapng is not read here: capture with tcpdump -w)');
  const u32 = (at: number): number => (little ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const nanos = (little ? magicLE : magicBE) === 0xa1b23c4d;
  const linkType = u32(20) & 0x0fffffff;
  const segments: TcpSegment[] = [];
  for (let at = 24; at + 16 <= file.length;) {
    const timeMs = u32(at) * 1000 + u32(at + 4) / (nanos ? 1e6 : 1e3);
    const included = u32(at + 8);
    const original = u32(at + 12);
    const frame = file.subarray(at + 16, Math.min(at + 16 + included, file.length));
    at += 16 + included;
    const ip = ipOffset(linkType, frame);
    if (ip === undefined) continue;
    const segment = tcpSegmentOf(frame, ip, timeMs, included < original || frame.length < included);
    if (segment !== undefined) segments.push(segment);
  }
  return segments;
}

/** A TCP connection to the server, both ways. */
export interface TcpConnection {
  readonly toServer: TcpStream;
  readonly fromServer: TcpStream;
}

/** One direction while it is read. */
interface Building {
  chunks: Buffer[];
  length: number;
  arrivals: { offset: number; timeMs: number }[];
  nextSeq: number | undefined;
  incomplete: boolean;
}

const building = (): Building => ({
  chunks: [],
  length: 0,
  arrivals: [],
  nextSeq: undefined,
  incomplete: false,
});

/** Reads one segment into its direction. */
function receive(direction: Building, segment: TcpSegment): void {
  if (segment.syn) {
    if (direction.nextSeq !== (segment.seq + 1) >>> 0) Object.assign(direction, building()); // a new connection
    direction.nextSeq = (segment.seq + 1) >>> 0;
    return;
  }
  if (direction.incomplete || segment.payload.length === 0) return;
  const expected = direction.nextSeq ?? segment.seq;
  const ahead = (segment.seq - expected) | 0; // sequence numbers wrap at 2^32
  if (ahead > 0) {
    direction.incomplete = true;
    return;
  }
  const fresh = segment.payload.subarray(-ahead);
  if (fresh.length > 0) {
    direction.arrivals.push({ offset: direction.length, timeMs: segment.timeMs });
    direction.chunks.push(fresh);
    direction.length += fresh.length;
    direction.nextSeq = (expected + fresh.length) >>> 0;
  }
  if (segment.truncated) direction.incomplete = true;
}

const finished = (direction: Building): TcpStream => ({
  bytes: Buffer.concat(direction.chunks, direction.length),
  arrivals: direction.arrivals,
  incomplete: direction.incomplete,
});

/**
 * Both directions of every connection to `serverPort` (on one host: the capture is of loopback), keyed by the
 * client's port, reassembled by sequence number: a retransmission adds only what it has beyond what was seen;
 * a gap (or a truncated packet) ends the stream there, marked incomplete; a new connection from a port seen
 * before (its SYN, not a retransmitted one) replaces the old one.
 */
export function tcpStreamsOf(
  segments: readonly TcpSegment[],
  serverPort: number,
): Map<number, TcpConnection> {
  const connections = new Map<number, { toServer: Building; fromServer: Building }>();
  for (const segment of segments) {
    const toServer = segment.destinationPort === serverPort;
    if (!toServer && segment.sourcePort !== serverPort) continue;
    const clientPort = toServer ? segment.sourcePort : segment.destinationPort;
    let connection = connections.get(clientPort);
    if (connection === undefined) {
      connection = { toServer: building(), fromServer: building() };
      connections.set(clientPort, connection);
    }
    receive(toServer ? connection.toServer : connection.fromServer, segment);
  }
  return new Map(
    [...connections].map(([port, c]) => [
      port,
      { toServer: finished(c.toServer), fromServer: finished(c.fromServer) },
    ]),
  );
}

/**
 * The last of `sorted` (ascending by `startOf`) that starts at or before `position`: the stretch a position
 * falls in. Undefined when there is none.
 */
export function stretchAt<T>(
  sorted: readonly T[],
  startOf: (item: T) => number,
  position: number,
): T | undefined {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    const item = sorted[middle];
    if (item !== undefined && startOf(item) <= position) low = middle;
    else high = middle - 1;
  }
  return sorted[low];
}

/** When the byte at `offset` of a stream was seen: the time of the segment that brought it. */
export function timeOfByte(stream: TcpStream, offset: number): number {
  const arrival = stretchAt(stream.arrivals, (a) => a.offset, offset);
  if (arrival === undefined) throw new RangeError('timeOfByte: the stream is empty');
  return arrival.timeMs;
}
