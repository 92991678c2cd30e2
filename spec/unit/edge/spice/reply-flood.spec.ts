// Issue 17: a server that floods PINGs (or SET_ACK + messages) and never reads must not grow our memory.
// Checked by counting, never by timing: the bytes we hand the socket while its buffer is over the high-water
// mark, the replies we hold, and the messages we read meanwhile.

import type * as net from 'node:net';
import type { Subscription } from 'rxjs';

import { MAX_HELD_PONGS } from '../../../../src/edge/spice/held-replies';
import { openChannel, type LinkedChannel } from '../../../../src/edge/spice/spice-channel';
import { BaseClientMsg, ChannelType } from '../../../../src/wire/constants';
import {
  initialMessageFramerState,
  messageFramerStep,
  type MessageFramerState,
  type RawMessage,
} from '../../../../src/wire/message-framer';
import { ackFlood, pingFlood, startFakeSpiceServer, type FakeSpiceServer } from './support/fake-spice-server';

/** Messages in the flood: far more than the replies we may hold, and more than one socket read (64 KiB). */
const FLOOD = 20_000;
/** Bigger than what the kernel buffers of a loopback connection take while the peer does not read. */
const STUCK_BYTES = 16 * 1024 * 1024;
/** The largest reply (PONG: 6-byte mini header + 12-byte body). */
const REPLY_BYTES = 18;
/** One socket read is at most 64 KiB: the messages in it are handled before the pause takes effect. */
const READ_CHUNK_BYTES = 64 * 1024;

interface FloodRecord {
  /** Bytes passed to socket.write while its buffer was over the high-water mark. */
  writtenWhileStuck: number;
  /** The most replies held at once. */
  mostHeld: number;
  /** Messages (and PINGs) delivered to us while the socket was over the high-water mark. */
  readWhileStuck: number;
  /** A reply was held while the socket was still reading. */
  heldWhileReading: boolean;
  delivered: number;
}

/** Frames what the client sent, as the server reads it. */
function framedMessages(): { push(chunk: Buffer): void; messages: RawMessage[] } {
  let state: MessageFramerState = initialMessageFramerState;
  const messages: RawMessage[] = [];
  return {
    messages,
    push(chunk) {
      const step = messageFramerStep({ header: 'mini', maxBodySize: STUCK_BYTES }, state, chunk);
      state = step.state;
      messages.push(...step.messages);
    },
  };
}

describe('replies to a flooding server that does not read', () => {
  let server: FakeSpiceServer | undefined;
  let subscription: Subscription | undefined;

  afterEach(async () => {
    subscription?.unsubscribe();
    await server?.close();
    server = undefined;
  });

  /**
   * Links a main channel, fills its socket with one 16 MiB message the server does not read (as mux frames to
   * a stalled guest would), then lets the server send `flood`. Once the client stopped reading (or, on a
   * client that never stops, once all `expected` messages arrived) the server starts reading; the run ends
   * when every message was delivered. Returns what was counted and what the server received.
   */
  async function runFlood(
    flood: Buffer,
    expected: number,
  ): Promise<{ record: FloodRecord; received: RawMessage[] }> {
    let serverSocket: net.Socket | undefined;
    server = await startFakeSpiceServer(() => ({ onLinked: (socket) => (serverSocket = socket) }));
    const record: FloodRecord = {
      writtenWhileStuck: 0,
      mostHeld: 0,
      readWhileStuck: 0,
      heldWhileReading: false,
      delivered: 0,
    };
    let clientSocket: net.Socket | undefined;
    let link: LinkedChannel | undefined;
    let stuckPhase = true;
    const received = framedMessages();
    let linkedBytes = 0;
    let receivedBytes = 0;

    await new Promise<void>((resolve, reject) => {
      // Done when every message was delivered and everything we wrote (held replies too) reached the server.
      const checkDone = () => {
        if (link === undefined || clientSocket === undefined || record.delivered < expected) return;
        if (link.heldReplies() > 0 || clientSocket.bytesWritten - linkedBytes !== receivedBytes) return;
        resolve();
      };
      const startReading = () => {
        stuckPhase = false;
        serverSocket?.on('data', (chunk: Buffer) => {
          receivedBytes += chunk.length;
          received.push(chunk);
          checkDone();
        });
        serverSocket?.resume();
      };
      subscription = openChannel({
        target: { kind: 'tcp', host: '127.0.0.1', port: server?.port ?? 0 },
        channelType: ChannelType.MAIN,
        connectionId: 0,
        maxBodySize: 1 << 20,
        onSocket: (socket) => {
          clientSocket = socket;
          const write = socket.write.bind(socket) as (chunk: Buffer) => boolean;
          socket.write = ((chunk: Buffer) => {
            if (socket.writableNeedDrain) record.writtenWhileStuck += chunk.length;
            return write(chunk);
          }) as typeof socket.write;
        },
      }).subscribe({
        next: (event) => {
          if (event.kind === 'linked') {
            link = event;
            linkedBytes = clientSocket?.bytesWritten ?? 0;
            expect(link.send({ type: BaseClientMsg.ACK, body: Buffer.alloc(STUCK_BYTES) })).toBe(false);
            serverSocket?.write(flood);
            return;
          }
          if (link === undefined || clientSocket === undefined) return;
          record.delivered++;
          const held = link.heldReplies();
          record.mostHeld = Math.max(record.mostHeld, held);
          if (held > 0 && !clientSocket.isPaused()) record.heldWhileReading = true;
          if (stuckPhase) {
            if (clientSocket.writableNeedDrain) record.readWhileStuck++;
            if (clientSocket.isPaused() || record.delivered === expected) startReading();
          }
          checkDone();
        },
        error: reject,
      });
    });
    return { record, received: received.messages };
  }

  it('holds at most a few PONGs and stops reading while a PING flood meets a full socket', async () => {
    const { record, received } = await runFlood(pingFlood(1, FLOOD), FLOOD);
    expect(record.writtenWhileStuck + record.mostHeld * REPLY_BYTES).toBeLessThanOrEqual(
      MAX_HELD_PONGS * REPLY_BYTES,
    );
    expect(record.mostHeld).toBeLessThanOrEqual(MAX_HELD_PONGS);
    expect(record.mostHeld).toBeGreaterThan(0); // the flood did meet a full socket
    expect(record.heldWhileReading).toBe(false);
    expect(record.readWhileStuck).toBeLessThanOrEqual(Math.ceil(READ_CHUNK_BYTES / REPLY_BYTES));
    // Older PONGs may be dropped (each burst beyond the high-water mark keeps its latest few), never the last.
    const pongIds = received.filter((m) => m.type === BaseClientMsg.PONG).map((m) => m.body.readUInt32LE(0));
    expect(pongIds.at(-1)).toBe(FLOOD);
    expect(new Set(pongIds).size).toBe(pongIds.length);
  });

  it('merges the ACKs of a SET_ACK + message flood and stops reading while the socket is full', async () => {
    const { record, received } = await runFlood(ackFlood(7, FLOOD), FLOOD + 1);
    expect(record.writtenWhileStuck + record.mostHeld * REPLY_BYTES).toBeLessThanOrEqual(2 * REPLY_BYTES);
    expect(record.heldWhileReading).toBe(false);
    expect(record.readWhileStuck).toBeLessThanOrEqual(Math.ceil(READ_CHUNK_BYTES / 6));
    expect(record.mostHeld).toBeGreaterThan(0); // the flood did meet a full socket
    const replies = received.filter((m) => m.type !== BaseClientMsg.ACK || m.body.length === 0);
    expect(replies[0]).toMatchObject({ type: BaseClientMsg.ACK_SYNC });
    expect(replies[0].body.readUInt32LE(0)).toBe(7);
    const acks = replies.filter((m) => m.type === BaseClientMsg.ACK).length;
    expect(acks).toBeGreaterThanOrEqual(1);
    expect(acks).toBeLessThanOrEqual(FLOOD);
  });
});
