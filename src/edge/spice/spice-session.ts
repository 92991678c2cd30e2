import type { Socket } from 'node:net';
import { Observable, Subscription, type Observer } from 'rxjs';

import { ChannelType, MUX_HEADER_SIZE, PortEvent, SpicevmcClientMsg } from '../../wire/constants';
import type { ChannelRef } from '../../wire/messages/main';
import { encodeAttachChannels } from '../../wire/messages/main';
import { encodeCloseFrames, writeMuxHeaders, type ClientId } from '../../wire/mux-frame';
import type { ServerMessage } from '../../wire/messages/server-message';
import { ChannelClosedError } from './channel-closed-error';
import { classifyClosure, type ClosureContext } from './closure';
import { SpiceConnectionError, noWebdavPortError } from './errors';
import { probeServer } from './server-probe';
import {
  DEFAULT_LINK_TIMEOUT_MS,
  openChannel,
  type ChannelEvent,
  type ChannelOptions,
  type LinkedChannel,
} from './spice-channel';
import { describeEndpoint, type SpiceEndpoint, type SpiceTarget, type SpiceTlsOptions } from './target';
import { webdavAdvertisesLz4, webdavChannelCaps, type CompressionMode } from './webdav-caps';

/** Main carries the 250 KiB network-test PING; 1 MiB leaves room without letting a bad peer make us buffer more. */
export const MAIN_MAX_BODY_SIZE = 1024 * 1024;
/** spice-server sends device data in chunks of at most 64 KiB + 32 (smaller when LZ4-compressed). Generous margin. */
export const WEBDAV_MAX_BODY_SIZE = 512 * 1024;
/** After the webdav channel closes, how long to wait for main to close too before calling it a lone close. */
const MAIN_CLOSE_GRACE_MS = 2_000;

export interface SpiceSessionOptions {
  target: SpiceTarget;
  tls?: SpiceTlsOptions;
  password?: string;
  connectTimeoutMs?: number;
  linkTimeoutMs?: number;
  /**
   * Whether the webdav channel asks the server to LZ4-compress the guest's data: 'auto' (default) only over a
   * link that leaves this machine, 'on' always, 'off' never (webdav-caps.ts).
   */
  compression?: CompressionMode;
  /** Diagnostics and tests: called with every socket the session opens (e.g. to watch for 'close'). */
  onSocket?: (socket: Socket) => void;
}

export type PortEventName = 'opened' | 'closed' | 'break';

export type SessionChannel = 'main' | 'webdav';

/** The webdav channel, ready for mux frames, with the flow-control handles of the socket. */
export interface WebdavLink extends LinkedChannel {
  /**
   * Mux frames of one client, each in its own SPICEVMC_DATA message (a frame is never split across messages),
   * all in one gathered write; payloads are never copied. Returns as sendAll does (how many frames, from the
   * first, the socket took below its high-water mark); `written` runs once the socket has written all of them
   * (the payloads' buffers are then free to reuse).
   */
  sendFrames(id: ClientId, payloads: readonly Buffer[], written?: () => void): number;
  /**
   * Close frames for `ids`, in order, in one SPICEVMC_DATA message (at most 6,553 of them: 65,530 bytes).
   * Returns as send does.
   */
  sendCloseFrames(ids: readonly ClientId[]): boolean;
}

export type SessionEvent =
  | { kind: 'connecting'; target: SpiceTarget }
  | { kind: 'main-linked'; sessionId: number; endpoint: SpiceEndpoint }
  | { kind: 'channels'; list: ChannelRef[] }
  | ({ kind: 'webdav-linked' } & WebdavLink)
  /** `opened`: the guest has the port open (spice-webdavd is running). */
  | { kind: 'port-init'; name: string; opened: boolean }
  | { kind: 'port-event'; event: PortEventName }
  /** `compressedSize`: the size on the wire, when the server sent `data` LZ4-compressed. */
  | { kind: 'vmc-data'; pieces: readonly Buffer[]; bytes: number; compressedSize?: number }
  | { kind: 'notify'; message: string; severity: number }
  /** A PING answered with PONG (diagnostics; the network test shows up as a 256000-byte PING on main). */
  | { kind: 'ping-answered'; channel: SessionChannel; id: number; size: number };

const portEventNames: ReadonlyMap<number, PortEventName> = new Map([
  [PortEvent.OPENED, 'opened'],
  [PortEvent.CLOSED, 'closed'],
  [PortEvent.BREAK, 'break'],
]);

/**
 * A SPICE session for folder sharing: the main channel (connection id 0), then the webdav channel linked
 * with the session id from MAIN_INIT once CHANNELS_LIST shows it. Main is read continuously and its pings
 * answered so the server's connectivity monitor keeps us. Unsubscribing closes every socket.
 *
 * Errors are SpiceConnectionError (see errors.ts for reasons and exit codes). A closed session is told apart
 * as 'kicked' (the server still accepts connections: another client took over) or 'server-gone'.
 */
export function connectSpice(options: SpiceSessionOptions): Observable<SessionEvent> {
  return new Observable<SessionEvent>((subscriber) => {
    const channels = new Subscription();
    const context: ClosureContext = {};
    let failing = false;
    let webdavOpened = false;
    let firstListSeen = false;
    let mainClosed: (() => void) | undefined;
    const mainClosedPromise = new Promise<void>((resolve) => (mainClosed = resolve));
    let mainLink: LinkedChannel | undefined;
    let sessionId: number | undefined;
    /** A CHANNELS_LIST that came before MAIN_INIT (whose session id the webdav link needs): taken up then. */
    let earlyList: readonly ChannelRef[] | undefined;
    /**
     * From main's link until the webdav channel is asked for: a server that links and then never sends MAIN_INIT
     * or CHANNELS_LIST would leave us waiting, silently, for ever (a hostile-server review, session 23).
     */
    let setupTimer: ReturnType<typeof setTimeout> | undefined;
    const stopSetupTimer = () => {
      if (setupTimer !== undefined) clearTimeout(setupTimer);
      setupTimer = undefined;
    };

    const fail = (error: unknown) => {
      if (failing) return;
      failing = true;
      stopSetupTimer();
      channels.unsubscribe();
      subscriber.error(error);
    };

    const onClosed = (closed: ChannelClosedError, ifMainStaysUp?: SpiceConnectionError) => {
      if (failing) return;
      failing = true;
      stopSetupTimer();
      void explainClosure(closed, mainClosedPromise, context, ifMainStaysUp).then((error) => {
        channels.unsubscribe();
        subscriber.error(error);
      });
    };

    const channelOptions = (
      channelType: number,
      channelId: number,
      connectionId: number,
      maxBodySize: number,
    ): ChannelOptions => ({
      target: options.target,
      tls: options.tls,
      password: options.password,
      channelType,
      channelId,
      connectionId,
      maxBodySize,
      connectTimeoutMs: options.connectTimeoutMs,
      linkTimeoutMs: options.linkTimeoutMs,
      onSocket: options.onSocket,
    });

    const openWebdav = (channel: ChannelRef, connectionId: number) => {
      webdavOpened = true;
      stopSetupTimer(); // the webdav channel's own connect and link timeouts apply from here
      channels.add(
        openChannel({
          ...channelOptions(ChannelType.WEBDAV, channel.id, connectionId, WEBDAV_MAX_BODY_SIZE),
          channelCaps: (endpoint, socket) =>
            webdavChannelCaps(webdavAdvertisesLz4(options.compression ?? 'auto', endpoint, socket)),
        }).subscribe(
          channelObserver({
            onEvent: (event) => {
              const sessionEvent = webdavEvent(event);
              if (sessionEvent !== undefined && !failing) subscriber.next(sessionEvent);
            },
            onClosed: (closed) => onClosed(closed),
            onError: (error) => {
              // The server also closes a webdav link without a reply when it is dropping the whole client
              // (another client connected just now): only call it "no webdav port" if main stays up.
              if (error instanceof SpiceConnectionError && error.reason === 'no-webdav-port' && mainLink) {
                onClosed(
                  new ChannelClosedError(ChannelType.WEBDAV, mainLink.endpoint, 'eof', { cause: error }),
                  error,
                );
              } else {
                fail(error);
              }
            },
          }),
        ),
      );
    };

    /** The first list decides whether there is a webdav port; a later one may bring it (hot-plug). */
    const onChannelsList = (list: readonly ChannelRef[]) => {
      earlyList = undefined;
      const webdav = list.find((channel) => channel.type === ChannelType.WEBDAV);
      const isFirstList = !firstListSeen;
      firstListSeen = true;
      if (webdav !== undefined && !webdavOpened && sessionId !== undefined) {
        openWebdav(webdav, sessionId);
      } else if (webdav === undefined && isFirstList) {
        fail(noWebdavPortError('the SPICE server lists no webdav channel'));
      }
    };

    const onMainMessage = (message: ServerMessage) => {
      switch (message.kind) {
        case 'main-init':
          // Once per session: a server that repeats it (a hostile one, in a loop) would have us log "connected"
          // and queue an ATTACH_CHANNELS for each, 327 MB of queued writes while it stopped reading.
          if (mainLink === undefined || sessionId !== undefined) return;
          subscriber.next({ kind: 'main-linked', sessionId: message.sessionId, endpoint: mainLink.endpoint });
          mainLink.send(encodeAttachChannels());
          sessionId = message.sessionId;
          if (earlyList !== undefined) onChannelsList(earlyList);
          return;
        case 'channels-list':
          subscriber.next({ kind: 'channels', list: message.channels });
          if (sessionId === undefined) earlyList = message.channels;
          else onChannelsList(message.channels);
          return;
        case 'notify':
          subscriber.next({ kind: 'notify', message: message.message, severity: message.severity });
          return;
        case 'migrate-switch-host':
          context.migratedTo = { host: message.host, port: message.port, tlsPort: message.tlsPort };
          return;
        default:
          return;
      }
    };
    subscriber.next({ kind: 'connecting', target: options.target });
    channels.add(
      openChannel(channelOptions(ChannelType.MAIN, 0, 0, MAIN_MAX_BODY_SIZE)).subscribe(
        channelObserver({
          onEvent: (event) => {
            if (failing) return;
            if (event.kind === 'linked') {
              mainLink = event;
              const setupMs = options.linkTimeoutMs ?? DEFAULT_LINK_TIMEOUT_MS;
              setupTimer = setTimeout(() => {
                fail(
                  new SpiceConnectionError(
                    'protocol',
                    `The SPICE server at ${describeEndpoint(event.endpoint)} linked the main channel but sent no ` +
                      `${sessionId === undefined ? 'MAIN_INIT' : 'CHANNELS_LIST'} within ${setupMs / 1000} s: ` +
                      "is this QEMU's SPICE server? Please report it with the QEMU and spice-server versions.",
                  ),
                );
              }, setupMs);
            } else if (event.kind === 'ping-answered') subscriber.next({ ...event, channel: 'main' });
            else onMainMessage(event.message);
          },
          onClosed: (closed) => {
            mainClosed?.();
            onClosed(closed);
          },
          onError: fail,
        }),
      ),
    );

    return () => {
      failing = true;
      stopSetupTimer();
      channels.unsubscribe();
    };
  });
}

function channelObserver(handlers: {
  onEvent: (event: ChannelEvent) => void;
  onClosed: (closed: ChannelClosedError) => void;
  onError: (error: unknown) => void;
}): Partial<Observer<ChannelEvent>> {
  return {
    next: handlers.onEvent,
    error: (error: unknown) =>
      error instanceof ChannelClosedError ? handlers.onClosed(error) : handlers.onError(error),
    // openChannel never completes on its own; a completion would be a bug, so say so instead of hanging.
    complete: () =>
      handlers.onError(
        new SpiceConnectionError('protocol', 'A SPICE channel ended without an error; please report this.'),
      ),
  };
}

function webdavEvent(event: ChannelEvent): SessionEvent | undefined {
  switch (event.kind) {
    case 'linked': {
      const { kind: _kind, ...link } = event;
      return {
        ...link,
        kind: 'webdav-linked',
        sendFrames: (id, payloads, written) =>
          link.sendBatch(
            SpicevmcClientMsg.DATA,
            payloads,
            {
              size: MUX_HEADER_SIZE,
              write: (target, offset, stride) => writeMuxHeaders(target, offset, stride, id, payloads),
            },
            written,
          ),
        sendCloseFrames: (ids) => link.send({ type: SpicevmcClientMsg.DATA, body: encodeCloseFrames(ids) }),
      };
    }
    case 'ping-answered':
      return { ...event, channel: 'webdav' };
    case 'message':
      return webdavMessageEvent(event.message);
  }
}

function webdavMessageEvent(message: ServerMessage): SessionEvent | undefined {
  switch (message.kind) {
    case 'vmc-data':
      return message.compressedSize === undefined
        ? { kind: 'vmc-data', pieces: message.pieces, bytes: message.bytes }
        : {
            kind: 'vmc-data',
            pieces: message.pieces,
            bytes: message.bytes,
            compressedSize: message.compressedSize,
          };
    case 'port-init':
      return { kind: 'port-init', name: message.name, opened: message.opened };
    case 'port-event': {
      const event = portEventNames.get(message.event);
      return event === undefined ? undefined : { kind: 'port-event', event };
    }
    default:
      return undefined;
  }
}

/**
 * Decide why the server closed us. When webdav closed first, give main a moment to close too (spice-server
 * closes all of a client's channels together); if main stays up, only the webdav channel went away
 * (`ifMainStaysUp`, or a generic error).
 */
async function explainClosure(
  closed: ChannelClosedError,
  mainClosed: Promise<void>,
  context: ClosureContext,
  ifMainStaysUp?: SpiceConnectionError,
): Promise<SpiceConnectionError> {
  if (closed.channelType !== ChannelType.MAIN) {
    const mainAlsoClosed = await Promise.race([
      mainClosed.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), MAIN_CLOSE_GRACE_MS).unref()),
    ]);
    if (!mainAlsoClosed) {
      if (ifMainStaysUp !== undefined) return ifMainStaysUp;
      return new SpiceConnectionError(
        'protocol',
        `${capitalize(closed.message)} while the session stayed up: the VM's webdav chardev may have been removed. Reconnect to share again.`,
        { cause: closed },
      );
    }
  }
  return classifyClosure(closed, await probeServer(closed.endpoint), context);
}

function capitalize(sentence: string): string {
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}
