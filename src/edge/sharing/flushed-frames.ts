import { map, merge, mergeMap, type Observable, type OperatorFunction, scan } from 'rxjs';
import type { LoopInput, SessionKey } from '../../channel/mux-loop/loop-messages';

/** One frame of a session handed to the socket, and whether the socket's buffer stayed below its high water. */
export interface SentFrame {
  readonly key: SessionKey;
  readonly belowHighWater: boolean;
}

type SocketSignal = { readonly kind: 'sent'; readonly frame: SentFrame } | { readonly kind: 'drained' };

interface Flushing {
  /** Frames waiting for the socket to drain, oldest first (at most the loop's total credit). */
  readonly pending: readonly SessionKey[];
  /** Frames the last signal released. */
  readonly released: readonly SessionKey[];
}

const NOTHING_FLUSHING: Flushing = { pending: [], released: [] };

/**
 * Turns the frames written and the socket's drain signals into per-frame `frame-flushed` inputs for the loop's
 * credit accounting. A frame counts as flushed when the socket took it below its high-water mark (and no
 * earlier frame is still waiting), or else when the socket next drains: until then its session's credit stays
 * in use, so a slow guest slows only the senders, never memory.
 */
export function flushedFrames(drained$: Observable<void>): OperatorFunction<SentFrame, LoopInput<never>> {
  return (sent$) =>
    merge(
      sent$.pipe(map((frame): SocketSignal => ({ kind: 'sent', frame }))),
      drained$.pipe(map((): SocketSignal => ({ kind: 'drained' }))),
    ).pipe(
      scan(trackFlushes, NOTHING_FLUSHING),
      mergeMap((flushing) => flushing.released),
      map((key): LoopInput<never> => ({ kind: 'frame-flushed', key })),
    );
}

function trackFlushes(state: Flushing, signal: SocketSignal): Flushing {
  if (signal.kind === 'drained') return { pending: [], released: state.pending };
  const { key, belowHighWater } = signal.frame;
  if (belowHighWater && state.pending.length === 0) return { pending: [], released: [key] };
  return { pending: [...state.pending, key], released: [] };
}
