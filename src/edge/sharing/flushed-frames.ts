import {
  asapScheduler,
  map,
  merge,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  scan,
  type Subscription,
} from 'rxjs';
import { mapToMany } from '../../channel/map-to-many';
import type { LoopInput, SessionKey } from '../../channel/mux-loop/loop-messages';
import { sessionKeyString } from '../../channel/mux-loop/loop-state';

/** Frames of one session, counted together. */
interface SessionFrames {
  readonly key: SessionKey;
  readonly frames: number;
}

/**
 * Frames of a session handed to the socket in one write (a batch, at least 1), and how many of them, from the
 * first, the socket took while its buffer stayed below its high water.
 */
export interface SentFrames extends SessionFrames {
  readonly belowHighWater: number;
}

type SocketSignal = { readonly kind: 'sent'; readonly sent: SentFrames } | { readonly kind: 'drained' };

interface Flushing {
  /** Frames waiting for the socket to drain, oldest first (at most the loop's total credit). */
  readonly pending: readonly SessionFrames[];
  /** Frames the last signal released. */
  readonly released: readonly SessionFrames[];
}

const NOTHING_FLUSHING: Flushing = { pending: [], released: [] };

/**
 * Turns the frames written (in batches) and the socket's drain signals into `frame-flushed` inputs for the
 * loop's credit accounting. A batch counts as flushed when the socket took all of it below its high-water mark
 * (and no earlier frame is still waiting), or else, whole, when the socket next drains: until then its
 * session's credit stays in use, so a slow guest slows only the senders, never memory. A batch is not split:
 * giving back at once the first frames of a download's batch (those under the mark) made the download's next
 * read go out in two batches, a few frames on that credit and the rest on the drain, every time.
 *
 * The frames released together (those of one loop step, or all that waited for one drain) come back as one
 * input per session on `scheduler`'s next turn, not one per frame: the session then gets its credits back in
 * one grant and answers with all its frames in one output, so the loop takes a step per batch, not per frame.
 */
export function flushedFrames(
  drained$: Observable<void>,
  scheduler: SchedulerLike = asapScheduler,
): OperatorFunction<SentFrames, LoopInput<never>> {
  return (sent$) =>
    merge(
      sent$.pipe(map((sent): SocketSignal => ({ kind: 'sent', sent }))),
      drained$.pipe(map((): SocketSignal => ({ kind: 'drained' }))),
    ).pipe(
      scan(trackFlushes, NOTHING_FLUSHING),
      mapToMany((flushing) => flushing.released),
      batchPerSession(scheduler),
      map(([key, frames]): LoopInput<never> => ({ kind: 'frame-flushed', key, frames })),
    );
}

function trackFlushes(state: Flushing, signal: SocketSignal): Flushing {
  if (signal.kind === 'drained') return { pending: [], released: state.pending };
  const { key, frames, belowHighWater } = signal.sent;
  if (state.pending.length > 0 || belowHighWater < frames) {
    return { pending: [...state.pending, { key, frames }], released: [] };
  }
  return { pending: [], released: [{ key, frames }] };
}

/**
 * Gathers the batches that arrive before `scheduler`'s next turn and emits them then, as (key, frames) per
 * session in the order each session first appeared. Completes after emitting what it holds; errors pass through.
 */
function batchPerSession(scheduler: SchedulerLike): OperatorFunction<SessionFrames, [SessionKey, number]> {
  return (sent$) =>
    new Observable<[SessionKey, number]>((subscriber) => {
      let batch = new Map<string, [SessionKey, number]>();
      let scheduled: Subscription | undefined;
      const emitBatch = (): void => {
        scheduled = undefined;
        const ready = batch;
        batch = new Map();
        for (const entry of ready.values()) subscriber.next(entry);
      };
      const sent = sent$.subscribe({
        next: ({ key, frames }) => {
          const name = sessionKeyString(key);
          const entry = batch.get(name);
          if (entry === undefined) batch.set(name, [key, frames]);
          else entry[1] += frames;
          scheduled ??= scheduler.schedule(emitBatch);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          scheduled?.unsubscribe();
          emitBatch();
          subscriber.complete();
        },
      });
      return () => {
        sent.unsubscribe();
        scheduled?.unsubscribe();
      };
    });
}
