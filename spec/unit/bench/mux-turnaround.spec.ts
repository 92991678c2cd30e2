import { muxTurnarounds, webdavChannelOf } from '../../../bench/mux-turnaround';
import { tcpSegmentsOf, tcpStreamsOf } from '../../../bench/pcap';
import { ChannelType, CommonCap, SpicevmcClientMsg, SpicevmcServerMsg } from '../../../src/wire/constants';
import { encodeMessage } from '../../../src/wire/data-header';
import { encodeLinkMessage, encodeLinkReply } from '../../../src/wire/link';
import { encodeMuxFrame } from '../../../src/wire/mux-frame';

const SERVER = 5900;
const A = '0100000000000000';
const B = '0200000000000000';

interface Packet {
  readonly ms: number;
  readonly from: number;
  readonly to: number;
  readonly seq: number;
  readonly payload: Buffer;
  readonly syn?: boolean;
}

/** A classic pcap file (microseconds, Ethernet) of IPv4/TCP packets on loopback. */
function pcapOf(packets: readonly Packet[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  const records = packets.map((p) => {
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(p.from, 0);
    tcp.writeUInt16BE(p.to, 2);
    tcp.writeUInt32BE(p.seq >>> 0, 4);
    tcp[12] = 5 << 4;
    tcp[13] = p.syn === true ? 0x02 : 0x18;
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 20 + p.payload.length, 2);
    ip[9] = 6;
    Buffer.from([127, 0, 0, 1]).copy(ip, 12);
    Buffer.from([127, 0, 0, 1]).copy(ip, 16);
    const ethernet = Buffer.alloc(14);
    ethernet.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([ethernet, ip, tcp, p.payload]);
    const record = Buffer.alloc(16);
    record.writeUInt32LE(Math.floor(p.ms / 1000), 0);
    record.writeUInt32LE(Math.round((p.ms % 1000) * 1000), 4);
    record.writeUInt32LE(frame.length, 8);
    record.writeUInt32LE(frame.length, 12);
    return Buffer.concat([record, frame]);
  });
  return Buffer.concat([header, ...records]);
}

/** Builds one SPICE connection's packets: each direction's bytes numbered from an initial sequence number. */
class Connection {
  readonly packets: Packet[] = [];
  private toServerSeq = 1000;
  private fromServerSeq = 0xfffffff0; // wraps during the test

  constructor(private readonly clientPort: number) {
    this.packets.push(
      { ms: 0, from: clientPort, to: SERVER, seq: this.toServerSeq - 1, payload: Buffer.alloc(0), syn: true },
      {
        ms: 0,
        from: SERVER,
        to: clientPort,
        seq: this.fromServerSeq - 1,
        payload: Buffer.alloc(0),
        syn: true,
      },
    );
  }

  client(ms: number, payload: Buffer): this {
    this.packets.push({ ms, from: this.clientPort, to: SERVER, seq: this.toServerSeq, payload });
    this.toServerSeq = (this.toServerSeq + payload.length) >>> 0;
    return this;
  }

  server(ms: number, payload: Buffer): this {
    this.packets.push({ ms, from: SERVER, to: this.clientPort, seq: this.fromServerSeq, payload });
    this.fromServerSeq = (this.fromServerSeq + payload.length) >>> 0;
    return this;
  }

  linked(channelType: number): this {
    const caps = [CommonCap.AUTH_SELECTION, CommonCap.AUTH_SPICE, CommonCap.MINI_HEADER];
    return this.client(
      1,
      encodeLinkMessage({ connectionId: 7, channelType, channelId: 0, commonCaps: caps, channelCaps: [] }),
    )
      .server(
        2,
        encodeLinkReply({ error: 0, publicKey: Buffer.alloc(162), commonCaps: [0b1011], channelCaps: [] }),
      )
      .client(3, Buffer.concat([Buffer.from([1, 0, 0, 0]), Buffer.alloc(128)]))
      .server(4, Buffer.alloc(4));
  }
}

const fromGuest = (...frames: Buffer[]): Buffer =>
  encodeMessage('mini', { type: SpicevmcServerMsg.DATA, body: Buffer.concat(frames) });
const toGuest = (...frames: Buffer[]): Buffer =>
  encodeMessage('mini', { type: SpicevmcClientMsg.DATA, body: Buffer.concat(frames) });
const frame = (id: string, text: string): Buffer => encodeMuxFrame(id, Buffer.from(text));

function turnaroundsOf(packets: readonly Packet[]): ReturnType<typeof muxTurnarounds> {
  const channel = webdavChannelOf(tcpStreamsOf(tcpSegmentsOf(pcapOf(packets)), SERVER));
  if (channel === undefined) throw new Error('no webdav channel in the capture');
  return muxTurnarounds(channel);
}

describe('muxTurnarounds', () => {
  it('times each mux client apart: from the last byte the guest sent to the first byte of the answer', () => {
    const main = new Connection(40000)
      .linked(ChannelType.MAIN)
      .server(10, encodeMessage('mini', { type: 4, body: Buffer.alloc(12) }));
    const webdav = new Connection(40002).linked(ChannelType.WEBDAV);
    // A's request arrives in two messages, the second split across two segments.
    const second = fromGuest(frame(A, 'ET /a HTTP/1.1\r\n\r\n'));
    webdav
      .server(100, fromGuest(frame(A, 'G')))
      .server(101, second.subarray(0, 8))
      .server(102, Buffer.concat([second.subarray(8), fromGuest(frame(B, 'GET /b HTTP/1.1\r\n\r\n'))]))
      .client(103, encodeMessage('mini', { type: 3, body: Buffer.alloc(12) })) // a pong: not an answer
      .client(105, toGuest(frame(B, 'HTTP/1.1 200 OK\r\n\r\n'))) // B: 3 ms
      .client(110, toGuest(frame(A, 'HTTP/1.1 200 OK\r\n\r\n'), frame(A, 'more of it'))) // A: 8 ms, once
      .server(200, fromGuest(encodeMuxFrame(A, Buffer.alloc(0)))) // A closes: no request
      .client(201, toGuest(encodeMuxFrame(A, Buffer.alloc(0))));

    const result = turnaroundsOf([...main.packets, ...webdav.packets]);

    expect(result.turnaroundsMs.map((ms) => Number(ms.toFixed(3)))).toEqual([3, 8]);
    expect(result.methods).toEqual(['GET', 'GET']); // A's request line came in two frames
    expect(result).toMatchObject({
      guestFrames: 4,
      clientFrames: 4,
      compressedMessages: 0,
      incomplete: false,
    });
  });

  it('reads a retransmitted segment once, and stops counting at bytes the capture missed', () => {
    const webdav = new Connection(40002).linked(ChannelType.WEBDAV);
    const request = fromGuest(frame(A, 'GET / HTTP/1.1\r\n\r\n'));
    webdav.server(100, request);
    // The same bytes again (a retransmission), then an answer.
    webdav.packets.push({ ...webdav.packets[webdav.packets.length - 1]!, ms: 104 });
    webdav.client(106, toGuest(frame(A, 'HTTP/1.1 200 OK\r\n\r\n')));
    const lost = fromGuest(frame(A, 'GET /lost HTTP/1.1\r\n\r\n'));
    webdav.server(200, lost);
    webdav.packets.pop(); // never captured
    webdav.server(300, fromGuest(frame(A, 'GET /after HTTP/1.1\r\n\r\n')));
    webdav.client(301, toGuest(frame(A, 'HTTP/1.1 200 OK\r\n\r\n')));

    const result = turnaroundsOf(webdav.packets);

    expect(result.turnaroundsMs.map((ms) => Number(ms.toFixed(3)))).toEqual([6]);
    expect(result.incomplete).toBe(true);
  });

  it('follows the last connection from a port used twice', () => {
    const first = new Connection(40002).linked(ChannelType.MAIN);
    const second = new Connection(40002).linked(ChannelType.WEBDAV);
    second
      .server(100, fromGuest(frame(A, 'GET / HTTP/1.1\r\n\r\n')))
      .client(102, toGuest(frame(A, 'HTTP/1.1 200 OK\r\n\r\n')));
    // A retransmitted SYN starts nothing new.
    const synAgain = second.packets[0]!;

    const result = turnaroundsOf([...first.packets, synAgain, ...second.packets]);

    expect(result.turnaroundsMs.map((ms) => Number(ms.toFixed(3)))).toEqual([2]);
  });

  it('finds no webdav channel in a capture without one', () => {
    const main = new Connection(40000).linked(ChannelType.MAIN);
    expect(webdavChannelOf(tcpStreamsOf(tcpSegmentsOf(pcapOf(main.packets)), SERVER))).toBeUndefined();
  });
});
