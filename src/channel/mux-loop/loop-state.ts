import type { ClientId } from '../../wire/mux-frame';
import { initialMuxDemuxState, type MuxDemuxState } from '../../wire/mux-frame';
import type { Effect, SessionKey, ShareSpec } from './loop-messages';

export interface ClientState {
  readonly key: SessionKey;
  /** Credits granted to the session and not yet used. */
  readonly granted: number;
  /** Frames sent and not yet flushed to the socket. */
  readonly inFlight: number;
  /**
   * Asked to give its unused credits back (`revoke`), because it held them idle while another session had
   * none: it gets no more until it says it has a response waiting.
   */
  readonly parked: boolean;
  /**
   * Its last answer used every credit it had: it has more to send (a download), so it is topped up to
   * `creditsPerClient`; otherwise only to `creditsAhead`.
   */
  readonly streaming: boolean;
  /** Request bytes handed to the session and not yet consumed by its HTTP side. */
  readonly buffered: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Ticks since the session last consumed request bytes or produced response bytes. */
  readonly ticksSinceProgress: number;
  /** Ticks since any traffic of this session in either direction. */
  readonly ticksSinceTraffic: number;
}

/** What is shared now and what serves it; sessions opened meanwhile are served by `server`. */
export interface Serving<S> {
  readonly share: ShareSpec;
  readonly server: S;
}

export interface LoopState<S = unknown> {
  readonly portOpen: boolean;
  /** Null while nothing is shared: sessions then get the edge's stand-in (a 503). */
  readonly serving: Serving<S> | null;
  readonly demux: MuxDemuxState;
  readonly clients: ReadonlyMap<ClientId, ClientState>;
  readonly nextGeneration: number;
  /** Clients that want more credit than the global cap allowed, in the order they asked (fairness). */
  readonly waiting: readonly ClientId[];
  readonly readingPaused: boolean;
  /**
   * Connections refused since the last tick (a guest that floods new connection ids past `maxClients` gets a
   * close frame for each, but one event per tick: the first, then on the tick how many more).
   */
  readonly refusedSinceTick: number;
  /** The last connection refused (the id a tick's count of more refusals names). */
  readonly lastRefusedId: ClientId;
  /**
   * Ids whose session we ended in the middle of a request, with the ticks since their last frame: what the
   * guest still sends on one is the rest of that request, dropped, until it closes the id (a zero frame) or
   * has been quiet for `discardQuietTicks` while we read (its daemon may reuse an id it dropped without
   * telling us; while reading is paused it could not have sent anything).
   */
  readonly discarding: ReadonlyMap<ClientId, number>;
  /** What the last input asked the outside world to do. */
  readonly effects: readonly Effect<S>[];
}

export const initialLoopState: LoopState<never> = {
  portOpen: false,
  serving: null,
  demux: initialMuxDemuxState,
  clients: new Map(),
  nextGeneration: 1,
  waiting: [],
  readingPaused: false,
  refusedSinceTick: 0,
  lastRefusedId: '',
  discarding: new Map(),
  effects: [],
};

export function bufferedTotal(clients: ReadonlyMap<ClientId, ClientState>): number {
  let total = 0;
  for (const c of clients.values()) total += c.buffered;
  return total;
}

export function sameKey(a: SessionKey, b: SessionKey): boolean {
  return a.id === b.id && a.generation === b.generation;
}

export function sessionKeyString(key: SessionKey): string {
  return `${key.id}#${key.generation}`;
}

export function parseSessionKey(text: string): SessionKey {
  const at = text.lastIndexOf('#');
  return { id: text.slice(0, at), generation: Number(text.slice(at + 1)) };
}
