import type { ClientId } from '../../wire/mux-frame';
import { initialMuxDemuxState, type MuxDemuxState } from '../../wire/mux-frame';
import type { Effect, SessionKey, ShareSpec } from './loop-messages';

export interface ClientState {
  readonly key: SessionKey;
  /** Credits granted to the session and not yet used. */
  readonly granted: number;
  /** Frames sent and not yet flushed to the socket. */
  readonly inFlight: number;
  /** Request bytes handed to the session and not yet consumed by its HTTP side. */
  readonly buffered: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Ticks since the session last consumed request bytes or produced response bytes. */
  readonly ticksSinceProgress: number;
  /** Ticks since any traffic of this session in either direction. */
  readonly ticksSinceTraffic: number;
}

export interface LoopState {
  readonly portOpen: boolean;
  readonly share: ShareSpec | null;
  readonly demux: MuxDemuxState;
  readonly clients: ReadonlyMap<ClientId, ClientState>;
  readonly nextGeneration: number;
  /** Clients that want more credit than the global cap allowed, in the order they asked (fairness). */
  readonly waiting: readonly ClientId[];
  readonly readingPaused: boolean;
  /** What the last input asked the outside world to do. */
  readonly effects: readonly Effect[];
}

export const initialLoopState: LoopState = {
  portOpen: false,
  share: null,
  demux: initialMuxDemuxState,
  clients: new Map(),
  nextGeneration: 1,
  waiting: [],
  readingPaused: false,
  effects: [],
};

export function creditsInUse(clients: ReadonlyMap<ClientId, ClientState>): number {
  let total = 0;
  for (const c of clients.values()) total += c.granted + c.inFlight;
  return total;
}

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
