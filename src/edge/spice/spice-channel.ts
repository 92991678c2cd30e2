import type { Socket } from 'node:net';
import { Observable, Subscription, fromEvent, map } from 'rxjs';

import { spicePiecedMessages, type RawPiecedMessage } from '../../channel/spice-messages';
import { LinkErrorCode } from '../../wire/constants';
import {
  encodeMessageHeader,
  encodeMessageHeaders,
  headerSize,
  type HeaderKind,
} from '../../wire/data-header';
import { LinkError, WireError } from '../../wire/errors';
import { encodeAck, encodeAckSync, encodePong, type ClientMessage } from '../../wire/messages/base';
import { decodeServerMessagePieces, type ServerMessage } from '../../wire/messages/server-message';
import { initialAckWindow, reduceAckWindow, type AckWindowState } from './ack-window';
import {
  heldReplyCount,
  holdReply,
  noHeldReplies,
  takeHeldReply,
  type ControlReply,
  type HeldReplies,
} from './held-replies';
import { ChannelClosedError } from './channel-closed-error';
import { SpiceConnectionError } from './errors';
import { LinkTimeoutError, channelName, classifyLinkFailure } from './link-failure';
import { linkChannel, type LinkOutcome } from './link-handshake';
import { socketChunks } from './socket-chunks';
import { routeChannel, type SpiceEndpoint, type SpiceTarget, type SpiceTlsOptions } from './target';
import { needsTlsPortError, needUnsecuredError } from './tls-route-errors';
import { DEFAULT_CONNECT_TIMEOUT_MS, connectEndpoint } from './transport';

export const DEFAULT_LINK_TIMEOUT_MS = 10_000;

export interface ChannelOptions {
  target: SpiceTarget;
  tls?: SpiceTlsOptions;
  password?: string;
  channelType: number;
  channelId?: number;
  /** 0 for main, the session id for every other channel. */
  connectionId: number;
  /** Largest message body accepted; a bigger one fails the channel with a 'protocol' error. */
  maxBodySize: number;
  /**
   * Channel capability bit numbers to advertise (none by default): fixed, or chosen once the socket is
   * connected (whether webdav asks for LZ4 depends on where the socket leads: webdav-caps.ts).
   */
  channelCaps?: readonly number[] | ((endpoint: SpiceEndpoint, socket: Socket) => readonly number[]);
  connectTimeoutMs?: number;
  linkTimeoutMs?: number;
  /** Diagnostics and tests: called with every socket opened for this channel. */
  onSocket?: (socket: Socket) => void;
}

/** What the layer above gets once the channel is linked: a way to send, and the flow-control handles. */
export interface LinkedChannel {
  endpoint: SpiceEndpoint;
  headerKind: HeaderKind;
  serverChannelCaps: number[];
  /** The channel capability bits our link message advertised. */
  advertisedChannelCaps: readonly number[];
  /**
   * Queue one message. Returns false when the socket's write buffer is over its high-water mark (the message
   * is still queued): stop sending until `drained$` emits. Also false once the socket is gone.
   * `written` runs once the socket has written the whole message (never if it fails first): until then the
   * socket may still hold the body's buffers.
   */
  send(message: ClientMessage, written?: () => void): boolean;
  /**
   * Queue several messages in one gathered write (one cork), in order; `written` runs once the socket has
   * written all of them. Returns how many of them, from the first, left the socket's write buffer below its
   * high-water mark (all: it wants more; fewer: wait for `drained$` before counting the rest as taken).
   */
  sendAll(messages: readonly ClientMessage[], written?: () => void): number;
  /**
   * The bulk path: one message of `type` per body, queued like sendAll, each body preceded by `prefix.size`
   * bytes that `prefix.write` puts into the buffer of the batch's headers (message i's at `offset + i × stride`).
   * One allocation and two socket writes per message, nothing copied: a GET's 48 frames per read cost little
   * JavaScript, which is most of what a fresh process's first transfer spends before V8 has optimized it.
   */
  sendBatch(
    type: number,
    bodies: readonly Buffer[],
    prefix: MessagePrefix | undefined,
    written?: () => void,
  ): number;
  /** Emits each time the socket's write buffer has drained ('drain'). */
  drained$: Observable<void>;
  /** Stop reading the socket: the server's sends back up into TCP, then into spice-server's queue. */
  pauseReading(): void;
  /** Read again, unless replies to the server are still waiting for the socket to drain. */
  resumeReading(): void;
  /** Diagnostics and specs: replies to PING/SET_ACK held until the socket drains (at most a few). */
  heldReplies(): number;
}

/** Bytes at the start of each message body of a batch, written by the sender into the headers' buffer. */
export interface MessagePrefix {
  readonly size: number;
  write(target: Buffer, offset: number, stride: number): void;
}

export type ChannelEvent =
  | ({ kind: 'linked' } & LinkedChannel)
  /** Every decoded server message except PING, which is answered here. */
  | { kind: 'message'; message: ServerMessage }
  /**
   * A PING was answered with its PONG (sent, or held until the socket drains; see held-replies.ts); `size` is
   * the PING body size (the network test sends 250 KiB).
   */
  | { kind: 'ping-answered'; id: number; size: number };

const ignoreError = () => undefined;

/** Below this, copying the body next to its header is cheaper than a gathered write. */
const SMALL_MESSAGE_BYTES = 4096;

/**
 * One SPICE channel as an Observable: connect, link and authenticate on subscribe, emit 'linked' once, then
 * one event per server message. PING is answered with PONG and SET_ACK/ACK are handled here.
 * Errors: SpiceConnectionError for connection and link failures, ChannelClosedError when the server closes
 * the linked channel. Unsubscribing closes the socket.
 */
export function openChannel(options: ChannelOptions): Observable<ChannelEvent> {
  return new Observable<ChannelEvent>((subscriber) => {
    let cancelled = false;
    let socket: Socket | undefined;
    let reading: Subscription | undefined;

    establishLink(
      options,
      (connected) => (socket = connected),
      () => cancelled,
    ).then(
      ({ socket: linkedSocket, outcome, endpoint, advertisedCaps }) => {
        if (cancelled) {
          linkedSocket.destroy();
          return;
        }
        const { send, sendAll, sendBatch, onMessage, pauseReading, resumeReading, heldReplies } =
          messageHandling(linkedSocket, outcome.headerKind, options.channelType, advertisedCaps);
        subscriber.next({
          kind: 'linked',
          endpoint,
          headerKind: outcome.headerKind,
          serverChannelCaps: outcome.serverChannelCaps,
          advertisedChannelCaps: advertisedCaps,
          send,
          sendAll,
          sendBatch,
          drained$: fromEvent(linkedSocket, 'drain').pipe(map((): void => undefined)),
          pauseReading,
          resumeReading,
          heldReplies,
        });
        if (subscriber.closed) return;
        reading = readMessages(linkedSocket, outcome, options)
          .pipe(map(onMessage))
          .subscribe({
            next: (event) => subscriber.next(event),
            error: (error: unknown) => subscriber.error(readFailure(error, options.channelType, endpoint)),
            complete: () => subscriber.error(new ChannelClosedError(options.channelType, endpoint, 'eof')),
          });
      },
      (error: unknown) => subscriber.error(error),
    );

    return () => {
      cancelled = true;
      reading?.unsubscribe();
      if (socket !== undefined) closeSocket(socket);
    };
  });
}

/**
 * How long a closing socket may take to flush what we sent before it is destroyed. Short: a server that does
 * not read must not hold up SIGTERM (the CLI exits within a second whatever the server does).
 */
const CLOSE_FLUSH_MS = 250;

/**
 * Close without losing what was already queued (e.g. the last mux frames): end() flushes our writes and sends
 * FIN; unread input is discarded so the server's FIN is seen and 'close' follows. A server that does not
 * close within CLOSE_FLUSH_MS is cut off.
 */
function closeSocket(socket: Socket): void {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), CLOSE_FLUSH_MS).unref();
  socket.once('close', () => clearTimeout(timer));
  socket.resume();
  socket.end();
}

/**
 * Bytes waiting in the SPICE socket's write buffer above which reading pauses until it drains. Response frames
 * hold credits until written, so they alone stay under 5 MiB (LoopLimits.creditsTotal of 64 KiB each); above
 * this bound the rest is frames the guest caused without a credit.
 */
export const UNSENT_BYTES_READING_PAUSES = 7 * 1024 * 1024;

function readMessages(socket: Socket, outcome: LinkOutcome, options: ChannelOptions) {
  return socketChunks(socket, outcome.leftover, outcome.ended).pipe(
    // Bodies as the pieces they arrived in: a 64 KiB data message spans two socket reads and is not joined.
    spicePiecedMessages({ header: outcome.headerKind, maxBodySize: options.maxBodySize }),
  );
}

/**
 * Sending (with full-header serials when needed) and the automatic answers to PING and SET_ACK.
 *
 * Every reply waits for the socket: while its write buffer is above the high-water mark a reply is held
 * (held-replies.ts: bounded, coalesced) and reading pauses, so a server that sends and never reads gets TCP
 * back-pressure instead of an ever-growing queue; on 'drain' the held replies go out first (before the mux
 * frames the flush tracker releases on the same event) and reading resumes. The layer above may pause
 * reading too (its own buffers); the socket reads only when neither wants it paused. Reading pauses as well
 * while more than UNSENT_BYTES_READING_PAUSES wait in the socket's write buffer: frames that answer the guest
 * without a credit (a refused connection's close) would otherwise pile up there without bound while a server
 * that does not read (its guest does not read the port) goes on delivering the guest's new connections.
 */
function messageHandling(
  socket: Socket,
  headerKind: HeaderKind,
  channelType: number,
  advertisedCaps: readonly number[],
) {
  let serial = 0n;
  let ackWindow: AckWindowState = initialAckWindow;
  let held: HeldReplies = noHeldReplies;
  let pausedAbove = false;

  /** Hands one message to the (possibly corked) socket; returns what its last write returned. */
  const queue = (message: ClientMessage, onWritten?: (error?: Error | null) => void) => {
    serial += 1n;
    const { type, body } = message;
    const header = encodeMessageHeader(headerKind, { type, bodySize: body.length, serial });
    if (body.length < SMALL_MESSAGE_BYTES) return socket.write(Buffer.concat([header, body]), onWritten);
    // Header and body leave in one writev (the caller corks): a large body is never copied.
    socket.write(header);
    return socket.write(body, onWritten);
  };

  const send = (message: ClientMessage, written?: () => void): boolean => sendAll([message], written) === 1;

  /**
   * Hands `count` messages to the socket in one cork (`writeMessage(index, callback)` queues message `index` and
   * returns what its last write returned); `written` runs once the socket has written all of them (writes
   * complete in order, so the last one's callback says every message is out). Returns how many of them, from
   * the first, left the socket's write buffer below its high-water mark.
   */
  const writeCorked = (
    count: number,
    written: (() => void) | undefined,
    writeMessage: (index: number, callback?: (error?: Error | null) => void) => boolean,
  ): number => {
    const onWritten =
      written === undefined
        ? undefined
        : (error?: Error | null): void => {
            if (error === undefined || error === null) written();
          };
    socket.cork();
    let belowHighWater = 0;
    for (let index = 0; index < count; index += 1) {
      const below = writeMessage(index, index === count - 1 ? onWritten : undefined);
      if (below && belowHighWater === index) belowHighWater += 1;
    }
    socket.uncork();
    if (socket.writableLength > UNSENT_BYTES_READING_PAUSES) updateReading();
    return belowHighWater;
  };

  const sendAll = (messages: readonly ClientMessage[], written?: () => void): number =>
    socket.destroyed || !socket.writable
      ? 0
      : writeCorked(messages.length, written, (index, callback) =>
          queue(messages[index] as ClientMessage, callback),
        );

  const sendBatch = (
    type: number,
    bodies: readonly Buffer[],
    prefix: MessagePrefix | undefined,
    written?: () => void,
  ): number => {
    if (socket.destroyed || !socket.writable || bodies.length === 0) return 0;
    const room = prefix?.size ?? 0;
    const stride = headerSize(headerKind) + room;
    const headers = encodeMessageHeaders(
      headerKind,
      type,
      bodies.map((body) => room + body.length),
      room,
      serial + 1n,
    );
    prefix?.write(headers, headerSize(headerKind), stride);
    serial += BigInt(bodies.length); // only once the batch is sure to be queued: serials never skip
    return writeCorked(bodies.length, written, (index, callback) => {
      const body = bodies[index] as Buffer;
      const header = headers.subarray(index * stride, (index + 1) * stride);
      // An empty body (a mux close frame) is its header alone.
      if (body.length === 0) return socket.write(header, callback);
      socket.write(header);
      return socket.write(body, callback);
    });
  };

  const updateReading = () => {
    if (socket.destroyed) return;
    if (pausedAbove || heldReplyCount(held) > 0 || socket.writableLength > UNSENT_BYTES_READING_PAUSES)
      socket.pause();
    else socket.resume();
  };

  const reply = (answer: ControlReply) => {
    if (heldReplyCount(held) === 0 && !socket.writableNeedDrain) {
      send(encodeReply(answer));
      return;
    }
    held = holdReply(held, answer);
    updateReading();
  };

  socket.on('drain', () => {
    for (let next = takeHeldReply(held); next !== undefined; next = takeHeldReply(held)) {
      if (socket.writableNeedDrain) break;
      held = next.rest;
      send(encodeReply(next.reply));
    }
    updateReading();
  });

  const onMessage = (raw: RawPiecedMessage): ChannelEvent => {
    const message = decodeOrFail(channelType, raw, advertisedCaps);
    const step = reduceAckWindow(
      ackWindow,
      message.kind === 'set-ack'
        ? { kind: 'set-ack', generation: message.generation, window: message.window }
        : { kind: 'message' },
    );
    ackWindow = step.state;
    if (step.output.kind === 'ack-sync') reply({ kind: 'ack-sync', generation: step.output.generation });
    if (step.output.kind === 'ack') reply({ kind: 'ack' });
    if (message.kind === 'ping') {
      reply({ kind: 'pong', id: message.id, timestamp: message.timestamp });
      return { kind: 'ping-answered', id: message.id, size: message.size };
    }
    return { kind: 'message', message };
  };

  return {
    send,
    sendAll,
    sendBatch,
    onMessage,
    pauseReading: () => {
      pausedAbove = true;
      updateReading();
    },
    resumeReading: () => {
      pausedAbove = false;
      updateReading();
    },
    heldReplies: () => heldReplyCount(held),
  };
}

function encodeReply(reply: ControlReply): ClientMessage {
  switch (reply.kind) {
    case 'pong':
      return encodePong(reply.id, reply.timestamp);
    case 'ack-sync':
      return encodeAckSync(reply.generation);
    case 'ack':
      return encodeAck();
  }
}

function decodeOrFail(
  channelType: number,
  { type, pieces, size }: RawPiecedMessage,
  advertisedCaps: readonly number[],
): ServerMessage {
  try {
    return decodeServerMessagePieces(channelType, type, pieces, size, advertisedCaps);
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    throw invalidMessageError(channelType, error);
  }
}

function invalidMessageError(channelType: number, error: WireError): SpiceConnectionError {
  return new SpiceConnectionError(
    'protocol',
    `The server sent an invalid message on the ${channelName(channelType)} channel (${error.message}); please report this with the QEMU and spice-server versions.`,
    { cause: error },
  );
}

function readFailure(error: unknown, channelType: number, endpoint: SpiceEndpoint): Error {
  if (error instanceof SpiceConnectionError) return error;
  if (error instanceof WireError && error.kind === 'truncated') {
    // The framer saw EOF in the middle of a message: the server went away (or dropped us) mid-send.
    return new ChannelClosedError(channelType, endpoint, 'eof', { cause: error });
  }
  if (error instanceof WireError) return invalidMessageError(channelType, error);
  // Anything else comes from the socket: ECONNRESET, or EPIPE when our PONG meets a server that just closed.
  // (No `instanceof Error` here: Node's own errors can come from another realm, e.g. under jest.)
  return new ChannelClosedError(channelType, endpoint, 'reset', { cause: error });
}

/**
 * Connect and link where routeChannel says (the TLS port first when one is known), moving to the TLS port when
 * the plain port answers NEED_SECURED. That answer comes in the link reply, before we send the ticket.
 * `track` learns each socket as soon as it exists so an unsubscribe can close it mid-handshake.
 */
async function establishLink(
  options: ChannelOptions,
  track: (socket: Socket) => void,
  isCancelled: () => boolean,
): Promise<{
  socket: Socket;
  outcome: LinkOutcome;
  endpoint: SpiceEndpoint;
  advertisedCaps: readonly number[];
}> {
  const route = routeChannel(options.target, options.channelType);
  if (route.kind === 'needs-tls-port') throw needsTlsPortError(options.channelType);
  let endpoint = route.endpoint;
  for (;;) {
    const socket = await connectEndpoint(
      endpoint,
      options.tls,
      options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    );
    // Errors are observed by the reader's own listeners; this one only keeps a late error (e.g. EPIPE after we
    // stopped reading) from crashing the process.
    socket.on('error', ignoreError);
    track(socket);
    options.onSocket?.(socket);
    if (isCancelled()) {
      socket.destroy();
      return { socket, outcome: emptyOutcome(), endpoint, advertisedCaps: [] };
    }
    const advertisedCaps =
      typeof options.channelCaps === 'function'
        ? options.channelCaps(endpoint, socket)
        : (options.channelCaps ?? []);
    try {
      const outcome = await withLinkTimeout(
        linkChannel(socket, {
          connectionId: options.connectionId,
          channelType: options.channelType,
          channelId: options.channelId ?? 0,
          password: options.password,
          channelCaps: advertisedCaps,
        }),
        socket,
        options.linkTimeoutMs ?? DEFAULT_LINK_TIMEOUT_MS,
      );
      return { socket, outcome, endpoint, advertisedCaps };
    } catch (error) {
      socket.destroy();
      const needsTls = error instanceof LinkError && error.code === LinkErrorCode.NEED_SECURED;
      if (needsTls && endpoint.kind === 'tcp' && !endpoint.secure) {
        if (route.onNeedSecured !== undefined) {
          endpoint = route.onNeedSecured;
          continue;
        }
        throw new SpiceConnectionError(
          'tls',
          `The SPICE server requires TLS for the ${channelName(options.channelType)} channel and no TLS port is known: pass the VM's SPICE tls-port with --tls-port (and its CA certificate with --ca-file).`,
          { cause: error },
        );
      }
      if (error instanceof LinkError && error.code === LinkErrorCode.NEED_UNSECURED) {
        throw needUnsecuredError(options.channelType, endpoint, error);
      }
      throw classifyLinkFailure(error, options.channelType, endpoint, options.password !== undefined);
    }
  }
}

function emptyOutcome(): LinkOutcome {
  return {
    headerKind: 'mini',
    serverCommonCaps: [],
    serverChannelCaps: [],
    leftover: Buffer.alloc(0),
    ended: 'eof',
  };
}

function withLinkTimeout<T>(handshake: Promise<T>, socket: Socket, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new LinkTimeoutError(timeoutMs));
      socket.destroy();
    }, timeoutMs);
    handshake.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
