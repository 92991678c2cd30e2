import {
  asapScheduler,
  catchError,
  concatWith,
  connect,
  defer,
  EMPTY,
  filter,
  groupBy,
  type GroupedObservable,
  ignoreElements,
  map,
  merge,
  mergeMap,
  type Observable,
  of,
  scan,
  Subject,
  take,
  takeUntil,
  takeWhile,
  tap,
} from 'rxjs';
import { mapToMany } from '../map-to-many';
import type { LoopLimits } from './loop-limits';
import type { Effect, LoopInput, SessionInput, SessionKey, SessionOutput } from './loop-messages';
import { initialLoopState, parseSessionKey, sessionKeyString, type LoopState } from './loop-state';
import { drainOnNextTurn } from './drain-on-next-turn';
import { joinConsumed } from './join-consumed';
import { reduceLoop } from './reduce-loop';

/** Builds one per-client session: request bytes and grants in, response chunks out (see SessionOutput). */
export type SessionFactory = (key: SessionKey, input$: Observable<SessionInput>) => Observable<SessionOutput>;

/**
 * A session factory told what serves the session: what was shared when it opened (the `server` of the
 * `sharing-started` input), or null while nothing is shared. Any SessionFactory is one that does not ask.
 */
export type ServedSessionFactory<S> = (
  key: SessionKey,
  input$: Observable<SessionInput>,
  server: S | null,
) => Observable<SessionOutput>;

/** The effects the loop hands to the edge: frames to write (and close frames) and delivered, socket reading to pause or resume, events. */
export type EdgeEffect = Extract<
  Effect,
  { kind: 'send-frames' | 'close-frames' | 'frames-delivered' | 'pause-reading' | 'resume-reading' | 'event' }
>;

/**
 * What the edge does with the effects (writes frames, pauses the socket), as a stream of the inputs that come
 * back of it (frames flushed): the loop feeds them back in, like session output.
 */
export type EdgeRunner<S = unknown> = (effects$: Observable<EdgeEffect>) => Observable<LoopInput<S>>;

type SessionEffect<S> = Extract<Effect<S>, { kind: 'open-session' | 'to-session' | 'close-session' }>;

const isSessionEffect = <S>(e: Effect<S>): e is SessionEffect<S> =>
  e.kind === 'open-session' || e.kind === 'to-session' || e.kind === 'close-session';
const isEdgeEffect = <S>(e: Effect<S>): e is EdgeEffect => !isSessionEffect(e);

/**
 * The select loop. Network input, commands, every session's output and what the edge reports back are merged
 * into one stream reduced by `reduceLoop`; the effects it produces are split: session effects are grouped by
 * session (`groupBy`) and each group becomes one session (`mergeMap`), whose output is fed back into the loop;
 * the rest goes to the edge (`runEdge`, whose inputs are fed back too) and out.
 *
 * Fed-back inputs re-enter the loop on the asap scheduler, never synchronously from inside a reduction, so
 * effects always leave in the order the reducer produced them; those that arrive before the scheduler's next
 * turn re-enter together on it (one scheduled action per turn, not one per input: `drainOnNextTurn`).
 */
export function selectLoop<S>(
  inputs$: Observable<LoopInput<S>>,
  createSession: ServedSessionFactory<S>,
  limits: LoopLimits,
  runEdge: EdgeRunner<S> = () => EMPTY,
): Observable<EdgeEffect> {
  return defer(() => {
    const fedBack = new Subject<LoopInput<S>>();
    const feedBack = (input$: Observable<LoopInput<S>>): Observable<never> =>
      input$.pipe(
        tap((input) => fedBack.next(input)),
        ignoreElements(),
      );
    const start: LoopState<S> = initialLoopState;
    return merge(inputs$, fedBack.pipe(drainOnNextTurn(asapScheduler, joinConsumed))).pipe(
      scan((state, input: LoopInput<S>) => reduceLoop(state, input, limits), start),
      mapToMany((state) => state.effects),
      connect((effects$) => {
        const edge$ = effects$.pipe(filter(isEdgeEffect));
        return merge(
          feedBack(
            effects$.pipe(
              filter(isSessionEffect),
              groupBy((e) => sessionKeyString(e.key), {
                duration: (group$) => group$.pipe(filter((e) => e.kind === 'close-session')),
              }),
              mergeMap((group$) => runSession(group$, createSession)),
            ),
          ),
          feedBack(runEdge(edge$)),
          edge$,
        );
      }),
    );
  });
}

/**
 * One session for the lifetime of its group, which starts with the session's `open-session` effect: torn down
 * (unsubscribed) the moment the loop closes it. The group is hot, so a session factory must subscribe to its
 * input synchronously.
 */
function runSession<S>(
  group$: GroupedObservable<string, SessionEffect<S>>,
  createSession: ServedSessionFactory<S>,
): Observable<LoopInput<S>> {
  const key = parseSessionKey(group$.key);
  // Subscribed before the group's duration (groupBy subscribes that after handing the group out), so the
  // session sees its close-session before the group completes.
  const closed$ = group$.pipe(filter((e) => e.kind === 'close-session'));
  return group$.pipe(
    take(1),
    mergeMap((opening) => {
      // Subscribed while the opening effect is delivered, so it starts with the effects after it.
      const input$ = group$.pipe(
        takeWhile((e): e is Extract<SessionEffect<S>, { kind: 'to-session' }> => e.kind === 'to-session'),
        map((e) => e.input),
      );
      const server = opening.kind === 'open-session' ? opening.server : null;
      return createSession(key, input$, server).pipe(
        map((output): LoopInput<S> => ({ kind: 'session-output', key, output })),
        concatWith(of<LoopInput<S>>({ kind: 'session-ended', key })),
        catchError((err: unknown) =>
          of<LoopInput<S>>({ kind: 'session-ended', key, error: describeError(err) }),
        ),
      );
    }),
    takeUntil(closed$),
  );
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
