import * as net from 'node:net';
import {
  firstValueFrom,
  filter,
  lastValueFrom,
  take,
  toArray,
  type Observable,
  type Subscription,
} from 'rxjs';

import { ChannelClosedError } from '../../../../src/edge/spice/channel-closed-error';
import { SpiceConnectionError } from '../../../../src/edge/spice/errors';
import {
  openChannel,
  type ChannelEvent,
  type ChannelOptions,
  type LinkedChannel,
} from '../../../../src/edge/spice/spice-channel';
import {
  BaseClientMsg,
  BaseServerMsg,
  ChannelType,
  LinkErrorCode,
  SpicevmcCap,
  SpicevmcClientMsg,
  SpicevmcServerMsg,
  VmcCompression,
} from '../../../../src/wire/constants';
import {
  type MessageFramerState,
  initialMessageFramerState,
  messageFramerStep,
} from '../../../../src/wire/message-framer';
import { encodeMessage } from '../../../../src/wire/data-header';
import type { RawMessage } from '../../../../src/wire/message-framer';
import { bytesWritten, ReusableReadBuffers } from '../../../../src/webdav/reusable-read-buffers';
import { startFakeSpiceServer, type FakeLinkScript, type FakeSpiceServer } from './support/fake-spice-server';

function ping(id: number, fillerBytes: number): Buffer {
  const body = Buffer.alloc(12 + fillerBytes);
  body.writeUInt32LE(id, 0);
  body.writeBigUInt64LE(BigInt(id) * 1000n, 4);
  return encodeMessage('mini', { type: BaseServerMsg.PING, body });
}

function setAck(generation: number, window: number): Buffer {
  const body = Buffer.alloc(8);
  body.writeUInt32LE(generation, 0);
  body.writeUInt32LE(window, 4);
  return encodeMessage('mini', { type: BaseServerMsg.SET_ACK, body });
}

/** Collects what the client sends on a server-side socket, framed as mini-header messages. */
function clientMessages(socket: net.Socket): {
  messages: RawMessage[];
  waitFor(count: number): Promise<RawMessage[]>;
} {
  const messages: RawMessage[] = [];
  let state: MessageFramerState = initialMessageFramerState;
  const waiters: Array<() => void> = [];
  socket.on('data', (chunk: Buffer) => {
    const step = messageFramerStep({ header: 'mini', maxBodySize: 1 << 20 }, state, chunk);
    state = step.state;
    messages.push(...step.messages);
    waiters.splice(0).forEach((wake) => wake());
  });
  socket.resume();
  const waitFor = async (count: number) => {
    while (messages.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
    return messages.slice(0, count);
  };
  return { messages, waitFor };
}

describe('openChannel against a fake server', () => {
  let server: FakeSpiceServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(script: FakeLinkScript | ((index: number) => FakeLinkScript)): Promise<number> {
    server = await startFakeSpiceServer(typeof script === 'function' ? script : () => script);
    return server.port;
  }

  function options(port: number, overrides: Partial<ChannelOptions> = {}): ChannelOptions {
    return {
      target: { kind: 'tcp', host: '127.0.0.1', port },
      channelType: ChannelType.MAIN,
      connectionId: 0,
      maxBodySize: 1 << 20,
      ...overrides,
    };
  }

  /** A webdav channel linked to a fake server that reads nothing until asked: the channel and the server's end. */
  async function linkedWebdavChannel(overrides: Partial<ChannelOptions> = {}): Promise<{
    linked: LinkedChannel;
    serverSide: net.Socket;
    subscription: Subscription;
  }> {
    let serverSide: net.Socket | undefined;
    const port = await start({ onLinked: (socket) => (serverSide = socket) });
    let subscription: Subscription | undefined;
    const linked = await new Promise<LinkedChannel>((resolve) => {
      subscription = openChannel(options(port, { channelType: ChannelType.WEBDAV, ...overrides })).subscribe(
        (event) => {
          if (event.kind === 'linked') resolve(event);
        },
      );
    });
    if (serverSide === undefined || subscription === undefined)
      throw new Error('linked without a server socket');
    return { linked, serverSide, subscription };
  }

  /**
   * A linked webdav channel whose socket writes are counted (`writes`), with the messages the server receives
   * (`received`) and `flushed()`, which resolves once everything written so far has left the socket.
   */
  async function watchedWebdavChannel() {
    let clientSide: net.Socket | undefined;
    const { linked, serverSide, subscription } = await linkedWebdavChannel({
      onSocket: (socket) => (clientSide = socket),
    });
    const socket = clientSide;
    if (socket === undefined) throw new Error('linked without a client socket');
    const writes = jest.spyOn(socket, 'write');
    const received = clientMessages(serverSide);
    const flushed = () => new Promise<void>((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
    return { linked, subscription, writes, received, flushed };
  }

  /** A webdav channel's options (connection 42), with `overrides`. */
  function webdavOptions(port: number, overrides: Partial<ChannelOptions> = {}): ChannelOptions {
    return options(port, { channelType: ChannelType.WEBDAV, connectionId: 42, ...overrides });
  }

  function failureOf(events: Observable<ChannelEvent>): Promise<unknown> {
    return lastValueFrom(events).then(
      () => new Error('completed instead of failing'),
      (error: unknown) => error,
    );
  }

  it('answers PING with a 12-byte PONG (also the 250 KiB network-test ping) and SET_ACK with ACK_SYNC then ACK', async () => {
    let seen: ReturnType<typeof clientMessages> | undefined;
    const port = await start({
      onLinked: (socket) => {
        seen = clientMessages(socket);
        socket.write(Buffer.concat([ping(1, 0), ping(3, 256_000), setAck(5, 2), ping(4, 0), ping(6, 0)]));
      },
    });
    const events = await lastValueFrom(openChannel(options(port)).pipe(take(6), toArray()));
    expect(events.map((e) => e.kind)).toEqual([
      'linked',
      'ping-answered',
      'ping-answered',
      'message',
      'ping-answered',
      'ping-answered',
    ]);
    expect(events[2]).toMatchObject({ kind: 'ping-answered', id: 3, size: 256_012 });
    // The window of 2 closes with the second ping after SET_ACK: its ACK goes out just before its PONG.
    const sent = await (seen as ReturnType<typeof clientMessages>).waitFor(6);
    expect(sent.map((m) => m.type)).toEqual([
      BaseClientMsg.PONG,
      BaseClientMsg.PONG,
      BaseClientMsg.ACK_SYNC,
      BaseClientMsg.PONG,
      BaseClientMsg.ACK,
      BaseClientMsg.PONG,
    ]);
    expect(sent[1].body.length).toBe(12);
    expect(sent[1].body.readUInt32LE(0)).toBe(3);
    expect(sent[1].body.readBigUInt64LE(4)).toBe(3000n);
    expect(sent[2].body.readUInt32LE(0)).toBe(5);
  });

  it('delivers messages that arrive in the same packet as the link result', async () => {
    const port = await start({ afterResult: ping(9, 0) });
    const answered = await firstValueFrom(
      openChannel(options(port)).pipe(filter((e) => e.kind === 'ping-answered')),
    );
    expect(answered).toMatchObject({ id: 9 });
  });

  it('fails with ChannelClosedError when the server closes a linked channel', async () => {
    const port = await start({ onLinked: (socket) => socket.end() });
    const error = await failureOf(openChannel(options(port)));
    expect(error).toBeInstanceOf(ChannelClosedError);
  });

  it('fails with no-webdav-port when the server closes the webdav link without a reply', async () => {
    const port = await start({ closeWithoutReply: true });
    const error = await failureOf(openChannel(webdavOptions(port)));
    expect(error).toBeInstanceOf(SpiceConnectionError);
    expect(error).toMatchObject({ reason: 'no-webdav-port' });
    expect((error as Error).message).toMatch(/org\.spice-space\.webdav\.0/);
  });

  it('refuses SPICEVMC_COMPRESSED_DATA on a channel that did not advertise compression, saying so', async () => {
    const compressed = encodeMessage('mini', {
      type: SpicevmcServerMsg.COMPRESSED_DATA,
      body: Buffer.concat([Buffer.of(VmcCompression.LZ4, 5, 0, 0, 0), Buffer.from('\x50hello', 'latin1')]),
    });
    const port = await start({ onLinked: (socket) => socket.write(compressed) });
    const refused = await failureOf(openChannel(webdavOptions(port)));
    expect(refused).toMatchObject({ reason: 'protocol' });
    expect((refused as Error).message).toMatch(/webdav channel .*did not advertise compression/);

    const accepted = await firstValueFrom(
      openChannel(webdavOptions(port, { channelCaps: [SpicevmcCap.DATA_COMPRESS_LZ4] })).pipe(
        filter((e) => e.kind === 'message'),
      ),
    );
    expect(accepted).toEqual({
      kind: 'message',
      message: { kind: 'vmc-data', pieces: [Buffer.from('hello')], bytes: 5, compressedSize: 6 },
    });
  });

  it('closes the channel with a protocol error, not a crash, on corrupt LZ4 data it asked for', async () => {
    const corrupt = encodeMessage('mini', {
      type: SpicevmcServerMsg.COMPRESSED_DATA,
      // A match 2 bytes back after 1 byte of output.
      body: Buffer.from([VmcCompression.LZ4, 10, 0, 0, 0, 0x15, 0x61, 0x02, 0x00, 0x10, 0x62]),
    });
    const port = await start({ onLinked: (socket) => socket.write(corrupt) });
    const refused = await failureOf(
      openChannel(webdavOptions(port, { channelCaps: [SpicevmcCap.DATA_COMPRESS_LZ4] })),
    );
    expect(refused).toMatchObject({ reason: 'protocol' });
    expect((refused as Error).message).toMatch(/webdav channel \(LZ4 block is corrupt: match offset 2/);
  });

  it('chooses its caps from the connected socket, advertises exactly those and says so when linked', async () => {
    const seen: number[][] = [];
    const port = await start({ onLinked: (_socket, request) => seen.push(request.channelCaps) });
    const chosenFrom: string[] = [];
    const linked = await firstValueFrom(
      openChannel(
        webdavOptions(port, {
          channelCaps: (endpoint, socket) => {
            chosenFrom.push(`${endpoint.kind} ${socket.remoteAddress ?? '?'}`);
            return [SpicevmcCap.DATA_COMPRESS_LZ4];
          },
        }),
      ).pipe(filter((e) => e.kind === 'linked')),
    );
    expect(chosenFrom).toEqual(['tcp 127.0.0.1']);
    expect(seen).toEqual([[1 << SpicevmcCap.DATA_COMPRESS_LZ4]]); // the link message's cap words
    expect(linked).toMatchObject({ advertisedChannelCaps: [SpicevmcCap.DATA_COMPRESS_LZ4] });
  });

  it('fails with auth when the password is refused, saying what to do', async () => {
    const port = await start({ password: 'right' });
    const error = await failureOf(openChannel(options(port, { password: 'wrong' })));
    expect(error).toMatchObject({ reason: 'auth', exitCode: 13 });
    expect((error as Error).message).toMatch(/password/);
  });

  it('fails with tls and asks for --tls-port when the plain port answers NEED_SECURED and no TLS port is known', async () => {
    const port = await start({ replyError: LinkErrorCode.NEED_SECURED });
    const error = await failureOf(openChannel(options(port)));
    expect(error).toMatchObject({ reason: 'tls' });
    expect((error as Error).message).toMatch(/--tls-port/);
  });

  it('fails with refused, naming the -spice option, when nothing listens', async () => {
    const port = await start({});
    await server?.close();
    server = undefined;
    const error = await failureOf(openChannel(options(port)));
    expect(error).toMatchObject({ reason: 'refused' });
    expect((error as Error).message).toBe(
      `Nothing listens on 127.0.0.1:${port}: is the VM running with -spice port=${port}?`,
    );
  });

  it('takes a whole mux frame and more without back-pressure, so a frame need not wait for its own drain', async () => {
    const { linked, serverSide, subscription } = await linkedWebdavChannel();
    const received = clientMessages(serverSide);
    // Three 65,545-byte SPICEVMC_DATA messages (a mux header and a full frame each): the socket reports room
    // after each, wherever the kernel is; with Node's 16 KiB default every one of them said "wait for drain".
    const frame = { type: SpicevmcClientMsg.DATA, body: Buffer.alloc(65545) };
    expect([linked.send(frame), linked.send(frame), linked.send(frame)]).toEqual([true, true, true]);
    const messages = await received.waitFor(3);
    expect(messages.map((message) => message.body.length)).toEqual([65545, 65545, 65545]);
    subscription.unsubscribe();
  });

  it('writes several messages in order in one corked write, header and body gathered, and counts those taken below the high water', async () => {
    const { linked, subscription, writes, received, flushed } = await watchedWebdavChannel();
    // Six messages of 65,551 bytes on the wire: three fit under the socket's 256 KiB high-water mark, the
    // fourth crosses it. A large body is not copied next to its header: two socket writes per message.
    const frames = [0, 1, 2, 3, 4, 5].map((n) => ({
      type: SpicevmcClientMsg.DATA,
      body: Buffer.alloc(65545, n),
    }));
    let callbacks = 0;
    expect(linked.sendAll(frames, () => (callbacks += 1))).toBe(3);
    expect(writes).toHaveBeenCalledTimes(12);
    const messages = await received.waitFor(6);
    messages.forEach((message, n) => {
      expect(message.type).toBe(SpicevmcClientMsg.DATA);
      expect(message.body.equals(Buffer.alloc(65545, n))).toBe(true);
    });
    await flushed();
    expect(callbacks).toBe(1);
    subscription.unsubscribe();
  });

  it('sends a batch of one type with a prefix per body put inside each SPICE header: two writes per message, one for an empty body', async () => {
    const { linked, subscription, writes, received, flushed } = await watchedWebdavChannel();
    // Five 65,535-byte bodies and an empty one, each after a 3-byte prefix [n, n, n]: on the wire 65,544-byte
    // messages, three of them under the socket's 256 KiB high-water mark.
    const bodies = [0, 1, 2, 3, 4].map((n) => Buffer.alloc(65535, 10 + n)).concat([Buffer.alloc(0)]);
    const prefix = {
      size: 3,
      write: (target: Buffer, offset: number, stride: number) => {
        bodies.forEach((_body, n) => target.fill(n, offset + n * stride, offset + n * stride + 3));
      },
    };
    let callbacks = 0;
    expect(linked.sendBatch(SpicevmcClientMsg.DATA, bodies, prefix, () => (callbacks += 1))).toBe(3);
    expect(writes).toHaveBeenCalledTimes(11);
    const messages = await received.waitFor(6);
    messages.forEach((message, n) => {
      expect(message.type).toBe(SpicevmcClientMsg.DATA);
      expect(message.body.equals(Buffer.concat([Buffer.alloc(3, n), bodies[n]]))).toBe(true);
    });
    await flushed();
    expect(callbacks).toBe(1);
    expect(linked.sendBatch(SpicevmcClientMsg.DATA, [], prefix)).toBe(0);
    subscription.unsubscribe();
  });

  it('says a message is written only once the socket has written it: reused read buffers never change queued bytes', async () => {
    const { linked, serverSide, subscription } = await linkedWebdavChannel();
    // 32 MiB sent while the server reads nothing: far more than loopback kernel buffers take, so most of it
    // waits in the socket. Each read buffer is filled with its own value, lent, and sent as 8 frames whose
    // written callbacks give it back; a buffer given back too early would be refilled under queued frames.
    const FRAME = 65535;
    const buffers = new ReusableReadBuffers(8 * FRAME, 8);
    const READS = 64;
    let callbacks = 0;
    let allWritten: () => void = () => undefined;
    const written = new Promise<void>((resolve) => (allWritten = resolve));
    for (let read = 0; read < READS; read++) {
      const buffer = buffers.take().fill(read);
      buffers.lend(buffer, buffer.length);
      for (let at = 0; at < buffer.length; at += FRAME) {
        const view = buffer.subarray(at, at + FRAME);
        linked.sendBatch(SpicevmcClientMsg.DATA, [view], undefined, () => {
          bytesWritten(view);
          if (++callbacks === READS * 8) allWritten();
        });
      }
    }
    expect(callbacks).toBeLessThan(READS * 8);
    const received = clientMessages(serverSide);
    const messages = await received.waitFor(READS * 8);
    messages.forEach((message, index) => {
      const read = Math.floor(index / 8);
      expect(message.body.length).toBe(FRAME);
      expect(message.body.equals(Buffer.alloc(FRAME, read))).toBe(true);
    });
    await written;
    expect(buffers.freeCount).toBe(8); // given back once written, as many as the pool keeps
    subscription.unsubscribe();
  });

  it('closes the socket on unsubscribe, and pauses/resumes reading on request', async () => {
    let serverSideClosed: Promise<void> | undefined;
    const port = await start({
      onLinked: (socket) => {
        serverSideClosed = new Promise((resolve) => socket.on('close', () => resolve()));
        socket.resume();
      },
    });
    const sockets: net.Socket[] = [];
    let subscription: Subscription | undefined;
    const linked = await new Promise<LinkedChannel>((resolve) => {
      subscription = openChannel(options(port, { onSocket: (s) => sockets.push(s) })).subscribe((event) => {
        if (event.kind === 'linked') resolve(event);
      });
    });
    linked.pauseReading();
    expect(sockets[0].isPaused()).toBe(true);
    linked.resumeReading();
    expect(sockets[0].isPaused()).toBe(false);
    expect(linked.send({ type: BaseClientMsg.ACK, body: Buffer.alloc(0) })).toBe(true);
    const clientClosed = new Promise((resolve) => sockets[0].once('close', resolve));
    subscription?.unsubscribe();
    await serverSideClosed;
    await clientClosed;
    expect(linked.send({ type: BaseClientMsg.ACK, body: Buffer.alloc(0) })).toBe(false);
  });
});
