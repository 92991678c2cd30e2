// A scripted SPICE server on 127.0.0.1 for unit specs: it plays the server side of the link handshake
// (docs/spice-webdav-protocol.md section 1) and then hands the socket to the spec.

import { constants, generateKeyPairSync, privateDecrypt, type KeyObject } from 'node:crypto';
import * as net from 'node:net';

import {
  LINK_HEADER_SIZE,
  decodeLinkHeader,
  decodeLinkMessage,
  encodeLinkReply,
} from '../../../../../src/wire/link';
import { readExactly, u32 } from '../../../../../bench/fake-peer-io';
import { capsToWords } from '../../../../../src/wire/caps';
import { BaseServerMsg, CommonCap } from '../../../../../src/wire/constants';

export interface LinkRequestSeen {
  connectionId: number;
  channelType: number;
  channelId: number;
  commonCaps: number[];
  channelCaps: number[];
}

/** How the fake server answers one link; every field optional. */
export interface FakeLinkScript {
  /** Close right after reading the link message, without a reply (spice-server: channel does not exist). */
  closeWithoutReply?: boolean;
  /** Non-zero: answer with this SpiceLinkErr in the reply and close. */
  replyError?: number;
  /** Server common caps (bit numbers). Default: AUTH_SELECTION, AUTH_SPICE, MINI_HEADER. */
  commonCaps?: number[];
  /** The password the server accepts; a mismatch gives PERMISSION_DENIED (7). Default: accept anything. */
  password?: string;
  /** Bytes written right after the OK result, in the same write (to test read-ahead). */
  afterResult?: Buffer;
  /** Called with the socket once the link is OK. */
  onLinked?: (socket: net.Socket, request: LinkRequestSeen) => void;
}

export interface FakeSpiceServer {
  port: number;
  links: LinkRequestSeen[];
  tickets: string[];
  sockets: net.Socket[];
  close(): Promise<void>;
}

let sharedKey: { publicDer: Buffer; privateKey: KeyObject } | undefined;

function serverKey(): { publicDer: Buffer; privateKey: KeyObject } {
  if (sharedKey === undefined) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    sharedKey = { publicDer: publicKey.export({ format: 'der', type: 'spki' }), privateKey };
  }
  return sharedKey;
}

/** Start a fake server; `scriptFor(n)` says how to answer the n-th connection (0-based). */
export function startFakeSpiceServer(scriptFor: (index: number) => FakeLinkScript): Promise<FakeSpiceServer> {
  const { publicDer, privateKey } = serverKey();
  const links: LinkRequestSeen[] = [];
  const tickets: string[] = [];
  const sockets: net.Socket[] = [];
  let connections = 0;

  const handle = async (socket: net.Socket, script: FakeLinkScript) => {
    const header = decodeLinkHeader(await readExactly(socket, LINK_HEADER_SIZE));
    const request = decodeLinkMessage(await readExactly(socket, header.size));
    links.push(request);
    if (script.closeWithoutReply) {
      socket.end();
      return;
    }
    const commonCaps = capsToWords(
      script.commonCaps ?? [CommonCap.AUTH_SELECTION, CommonCap.AUTH_SPICE, CommonCap.MINI_HEADER],
    );
    if (script.replyError !== undefined && script.replyError !== 0) {
      socket.end(
        encodeLinkReply({
          error: script.replyError,
          publicKey: Buffer.alloc(162),
          commonCaps: [],
          channelCaps: [],
        }),
      );
      return;
    }
    socket.write(encodeLinkReply({ error: 0, publicKey: publicDer, commonCaps, channelCaps: [] }));
    await readExactly(socket, 4); // auth mechanism
    const ticket = await readExactly(socket, 128);
    const plain = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, ticket);
    const password = plain.subarray(0, plain.indexOf(0)).toString('utf8');
    tickets.push(password);
    if (script.password !== undefined && script.password !== password) {
      socket.end(u32(7));
      return;
    }
    socket.write(Buffer.concat([u32(0), script.afterResult ?? Buffer.alloc(0)]));
    script.onLinked?.(socket, request);
  };

  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    socket.pause();
    handle(socket, scriptFor(connections++)).catch(() => socket.destroy());
  });

  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      resolve({
        port: address.port,
        links,
        tickets,
        sockets,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** `count` mini-header PINGs with ids firstId, firstId + 1, ...: what a PING-flooding server sends. */
export function pingFlood(firstId: number, count: number): Buffer {
  const one = 6 + 12;
  const out = Buffer.alloc(one * count);
  for (let i = 0; i < count; i++) {
    const at = i * one;
    out.writeUInt16LE(BaseServerMsg.PING, at);
    out.writeUInt32LE(12, at + 2);
    out.writeUInt32LE(firstId + i, at + 6);
    out.writeBigUInt64LE(BigInt(firstId + i), at + 10);
  }
  return out;
}

/** SET_ACK{generation, window 1}, then `count` empty messages of a type no channel knows: one ACK owed each. */
export function ackFlood(generation: number, count: number): Buffer {
  const setAck = Buffer.alloc(6 + 8);
  setAck.writeUInt16LE(BaseServerMsg.SET_ACK, 0);
  setAck.writeUInt32LE(8, 2);
  setAck.writeUInt32LE(generation, 6);
  setAck.writeUInt32LE(1, 10);
  const unknownType = 0xfff0;
  const messages = Buffer.alloc(6 * count);
  for (let i = 0; i < count; i++) messages.writeUInt16LE(unknownType, i * 6);
  return Buffer.concat([setAck, messages]);
}
