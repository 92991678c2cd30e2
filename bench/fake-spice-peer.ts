// A SPICE server and guest in one, for measuring our client's bulk-data path without QEMU (bench/hotpath.ts):
// it links the main and webdav channels (no password), lists the webdav port as opened, then plays a guest
// program behind spice-webdavd: it sends GET or PUT requests as mux frames in SPICEVMC_DATA messages and reads
// the answers. It respects TCP back-pressure and reads as fast as it can, so what it measures is the client.

import { generateKeyPairSync } from 'node:crypto';
import * as net from 'node:net';
import { readExactly, u32 } from './fake-peer-io';
import { capsToWords } from '../src/wire/caps';
import {
  ChannelType,
  CommonCap,
  MainServerMsg,
  PortServerMsg,
  SpicevmcClientMsg,
  SpicevmcServerMsg,
} from '../src/wire/constants';
import { encodeMessage } from '../src/wire/data-header';
import { LINK_HEADER_SIZE, decodeLinkHeader, decodeLinkMessage, encodeLinkReply } from '../src/wire/link';
import { MUX_MAX_PAYLOAD } from '../src/wire/constants';
import { clientIdFromBigInt, encodeMuxHeader, type ClientId } from '../src/wire/mux-frame';

const MINI_HEADER_BYTES = 6;
const MUX_HEADER_BYTES = 10;
const SESSION_ID = 0x5eed;
/** How spice-server cuts the device's byte stream into SPICEVMC_DATA messages here (not at frame bounds). */
const VMC_MESSAGE_BYTES = 64 * 1024;

export type Transfer =
  | { readonly kind: 'get'; readonly path: string }
  | {
      readonly kind: 'put';
      readonly path: string;
      readonly bytes: number;
    }
  /** What rclone sends besides PUT and GET when it uploads a tree (bench/rclone-workloads.ts). */
  | { readonly kind: 'mkcol'; readonly path: string }
  | { readonly kind: 'propfind'; readonly path: string };

export interface FakeSpicePeer {
  readonly port: number;
  /**
   * Runs one request once the client has linked, on a fresh mux client or on `keepAlive`'s (one request at a
   * time on each); resolves with the answer's status.
   */
  transfer(transfer: Transfer, keepAlive?: ClientId): Promise<number>;
  /** A mux client for a keep-alive connection, as a guest program that sends many requests on one. */
  keepAliveClient(): ClientId;
  /** Says that `id`'s connection was closed in the guest (a frame of no bytes), as spice-webdavd does. */
  closeClient(id: ClientId): Promise<void>;
  /** The webdav channel's socket, once linked: for attacks that write raw frames or stop reading. */
  webdavSocket(): Promise<net.Socket>;
  close(): Promise<void>;
}

/**
 * Holds a direction of the channel to `bytesPerSecond` (0: as fast as the client goes), as the guest does in
 * the real bench (20 to 70 MB/s): at that pace the client handles a frame or two per wake-up, not dozens.
 */
class Pacer {
  private startedAt = 0;
  private moved = 0;

  constructor(private readonly bytesPerSecond: number) {}

  /** Counts `bytes` moved; returns how many milliseconds to wait before moving more. */
  delayAfter(bytes: number): number {
    if (this.bytesPerSecond <= 0) return 0;
    const now = performance.now();
    if (this.moved === 0 || now - this.startedAt > 1000) {
      this.startedAt = now;
      this.moved = 0;
    }
    this.moved += bytes;
    return Math.max(0, (this.moved / this.bytesPerSecond) * 1000 - (now - this.startedAt));
  }
}

/** MAIN_INIT with the peer's session id (also for specs that play a server). */
export function mainInit(): Buffer {
  const body = Buffer.alloc(32);
  body.writeUInt32LE(SESSION_ID, 0);
  return encodeMessage('mini', { type: MainServerMsg.INIT, body });
}

/** CHANNELS_LIST naming the webdav port channel. */
export function channelsList(): Buffer {
  return encodeMessage('mini', {
    type: MainServerMsg.CHANNELS_LIST,
    body: Buffer.concat([u32(1), Buffer.of(ChannelType.WEBDAV, 0)]),
  });
}

/** PORT_INIT of an opened org.spice-space.webdav.0. */
export function portInit(): Buffer {
  const name = Buffer.from('org.spice-space.webdav.0\0', 'latin1');
  const body = Buffer.concat([u32(name.length), u32(9), Buffer.of(1), name]);
  return encodeMessage('mini', { type: PortServerMsg.INIT, body });
}

/** The guest side of one mux client's answer: its head, then a count of body bytes. */
class AnswerReader {
  private head: Buffer = Buffer.alloc(0);
  private status = 0;
  private bodyLeft = -1;

  constructor(private readonly done: (status: number) => void) {}

  take(payload: Buffer): void {
    if (this.bodyLeft < 0) {
      this.head = Buffer.concat([this.head, payload]);
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const text = this.head.subarray(0, end).toString('latin1');
      this.status = Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0);
      const length = /\r\ncontent-length: *(\d+)/i.exec(text)?.[1];
      const bodiless = this.status === 204 || this.status === 304;
      if (length === undefined && !bodiless) throw new Error(`an answer without Content-Length: ${text}`);
      this.bodyLeft = Number(length ?? 0) - (this.head.length - end - 4);
    } else {
      this.bodyLeft -= payload.length;
    }
    if (this.bodyLeft === 0) this.done(this.status);
  }
}

/**
 * Parses what the client writes on the webdav channel (mini headers; mux frames inside SPICEVMC_DATA) without
 * keeping body bytes: each frame's payload goes to the reader of its mux client.
 */
class ChannelParser {
  private pending: Buffer = Buffer.alloc(0);
  private messageLeft = 0;
  private isData = false;
  private muxHeader: Buffer = Buffer.alloc(0);
  private frameLeft = 0;
  private frameClient: ClientId = '';

  constructor(private readonly readers: Map<ClientId, AnswerReader>) {}

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.messageLeft === 0) {
        const need = MINI_HEADER_BYTES - this.pending.length;
        const piece = chunk.subarray(at, at + need);
        at += piece.length;
        this.pending = this.pending.length === 0 ? piece : Buffer.concat([this.pending, piece]);
        if (this.pending.length < MINI_HEADER_BYTES) return;
        this.isData = this.pending.readUInt16LE(0) === SpicevmcClientMsg.DATA;
        this.messageLeft = this.pending.readUInt32LE(2);
        this.pending = Buffer.alloc(0);
        continue;
      }
      const piece = chunk.subarray(at, at + this.messageLeft);
      at += piece.length;
      this.messageLeft -= piece.length;
      if (this.isData) this.muxBytes(piece);
    }
  }

  private muxBytes(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.frameLeft === 0) {
        const piece = bytes.subarray(at, at + MUX_HEADER_BYTES - this.muxHeader.length);
        at += piece.length;
        this.muxHeader = Buffer.concat([this.muxHeader, piece]);
        if (this.muxHeader.length < MUX_HEADER_BYTES) return;
        this.frameClient = this.muxHeader.subarray(0, 8).toString('hex');
        this.frameLeft = this.muxHeader.readUInt16LE(8);
        this.muxHeader = Buffer.alloc(0);
        continue;
      }
      const piece = bytes.subarray(at, at + this.frameLeft);
      at += piece.length;
      this.frameLeft -= piece.length;
      this.readers.get(this.frameClient)?.take(piece);
    }
  }
}

/** Writes the guest's mux byte stream as SPICEVMC_DATA messages, waiting for the socket to drain. */
async function sendMuxStream(socket: net.Socket, frames: Iterable<Buffer>, pacer: Pacer): Promise<void> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batchBytes === 0) return;
    const body = Buffer.concat(batch, batchBytes);
    batch = [];
    batchBytes = 0;
    const delay = pacer.delayAfter(body.length);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (!socket.write(encodeMessage('mini', { type: SpicevmcServerMsg.DATA, body }))) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => {
          socket.removeListener('close', onClose);
          resolve();
        };
        const onClose = (): void => {
          socket.removeListener('drain', onDrain);
          reject(new Error('the client closed the webdav channel'));
        };
        socket.once('drain', onDrain);
        socket.once('close', onClose);
      });
    }
  };
  for (const frame of frames) {
    let at = 0;
    while (at < frame.length) {
      const piece = frame.subarray(at, at + VMC_MESSAGE_BYTES - batchBytes);
      at += piece.length;
      batch.push(piece);
      batchBytes += piece.length;
      if (batchBytes === VMC_MESSAGE_BYTES) await flush();
    }
  }
  await flush();
}

function requestHead(transfer: Transfer): string {
  const host = `${transfer.path} HTTP/1.1\r\nHost: localhost\r\n`;
  switch (transfer.kind) {
    case 'get':
      return `GET ${host}\r\n`;
    case 'put':
      return `PUT ${host}Content-Length: ${transfer.bytes}\r\n\r\n`;
    case 'mkcol':
      return `MKCOL ${host}\r\n`;
    case 'propfind':
      return `PROPFIND ${host}Depth: 0\r\n\r\n`;
  }
}

function* requestFrames(id: ClientId, transfer: Transfer): Generator<Buffer> {
  const headBytes = Buffer.from(requestHead(transfer), 'latin1');
  yield encodeMuxHeader(id, headBytes.length);
  yield headBytes;
  if (transfer.kind !== 'put') return;
  // Incompressible-looking but cheap: one random-ish frame reused (the client never compares content).
  const body = Buffer.alloc(MUX_MAX_PAYLOAD);
  for (let i = 0; i < body.length; i++) body[i] = (i * 2654435761) >>> 24;
  for (let left = transfer.bytes; left > 0; left -= MUX_MAX_PAYLOAD) {
    const size = Math.min(left, MUX_MAX_PAYLOAD);
    yield encodeMuxHeader(id, size);
    yield size === body.length ? body : body.subarray(0, size);
  }
}

/** `bytesPerSecond`: the pace of the guest's side in each direction (0: unlimited). */
export async function startFakeSpicePeer(bytesPerSecond = 0): Promise<FakeSpicePeer> {
  const sendPacer = new Pacer(bytesPerSecond);
  const readPacer = new Pacer(bytesPerSecond);
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const publicDer = publicKey.export({ format: 'der', type: 'spki' });
  const sockets = new Set<net.Socket>();
  const readers = new Map<ClientId, AnswerReader>();
  let nextClient = 0x1000n;
  let webdavReady: (socket: net.Socket) => void = () => undefined;
  const webdav = new Promise<net.Socket>((resolve) => (webdavReady = resolve));

  const link = async (socket: net.Socket): Promise<void> => {
    const header = decodeLinkHeader(await readExactly(socket, LINK_HEADER_SIZE));
    const request = decodeLinkMessage(await readExactly(socket, header.size));
    const commonCaps = capsToWords([CommonCap.AUTH_SELECTION, CommonCap.AUTH_SPICE, CommonCap.MINI_HEADER]);
    socket.write(encodeLinkReply({ error: 0, publicKey: publicDer, commonCaps, channelCaps: [] }));
    await readExactly(socket, 4 + 128); // auth mechanism, then the encrypted ticket (any password is fine)
    socket.write(u32(0));
    if (request.channelType === ChannelType.MAIN) {
      socket.write(Buffer.concat([mainInit(), channelsList()]));
      socket.on('data', () => undefined);
      socket.resume();
      return;
    }
    const parser = new ChannelParser(readers);
    socket.on('data', (chunk: Buffer) => {
      parser.feed(chunk);
      const delay = readPacer.delayAfter(chunk.length);
      if (delay <= 0) return;
      socket.pause();
      setTimeout(() => socket.resume(), delay);
    });
    socket.write(portInit());
    socket.resume();
    webdavReady(socket);
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.pause();
    link(socket).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  const newClient = (): ClientId => {
    const id = clientIdFromBigInt(nextClient);
    nextClient += 16n;
    return id;
  };

  return {
    port,
    keepAliveClient: newClient,
    webdavSocket: () => webdav,
    async closeClient(id) {
      await sendMuxStream(await webdav, [encodeMuxHeader(id, 0)], sendPacer);
    },
    async transfer(transfer, keepAlive) {
      const socket = await webdav;
      const id = keepAlive ?? newClient();
      const answered = new Promise<number>((resolve) => readers.set(id, new AnswerReader(resolve)));
      await sendMuxStream(socket, requestFrames(id, transfer), sendPacer);
      const status = await answered;
      readers.delete(id);
      return status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
