import {
  asapScheduler,
  catchError,
  concatWith,
  connect,
  defer,
  filter,
  groupBy,
  type GroupedObservable,
  ignoreElements,
  map,
  merge,
  mergeMap,
  type Observable,
  observeOn,
  of,
  scan,
  Subject,
  takeUntil,
  takeWhile,
} from 'rxjs';
import { DEFAULT_LOOP_LIMITS, type LoopLimits } from './loop-limits';
import type { Effect, LoopInput, SessionInput, SessionKey, SessionOutput } from './loop-messages';
import { initialLoopState, parseSessionKey, sessionKeyString } from './loop-state';
import { reduceLoop } from './reduce-loop';

/** Builds one per-client WebDAV session: request bytes and grants in, response chunks out (see SessionOutput). */
export type SessionFactory = (key: SessionKey, input$: Observable<SessionInput>) => Observable<SessionOutput>;

/** The effects the loop hands to the edge: frames to write, socket reading to pause or resume, events. */
export type EdgeEffect = Extract<
  Effect,
  { kind: 'send-frame' | 'pause-reading' | 'resume-reading' | 'event' }
>;
type SessionEffect = Extract<Effect, { kind: 'to-session' | 'close-session' }>;

const isSessionEffect = (e: Effect): e is SessionEffect =>
  e.kind === 'to-session' || e.kind === 'close-session';
const isEdgeEffect = (e: Effect): e is EdgeEffect => !isSessionEffect(e);

/**
 * The select loop. Network input, commands and every session's output are merged into one stream reduced by
 * `reduceLoop`; the effects it produces are split: session effects are grouped by session (`groupBy`) and each
 * group becomes one session (`mergeMap`), whose output is fed back into the loop; the rest goes to the edge.
 *
 * Session output re-enters the loop on the asap scheduler, never synchronously from inside a reduction, so
 * effects always leave in the order the reducer produced them.
 */
export function selectLoop(
  inputs$: Observable<LoopInput>,
  createSession: SessionFactory,
  limits: LoopLimits = DEFAULT_LOOP_LIMITS,
): Observable<EdgeEffect> {
  return defer(() => {
    const fromSessions = new Subject<LoopInput>();
    return merge(inputs$, fromSessions.pipe(observeOn(asapScheduler))).pipe(
      scan((state, input: LoopInput) => reduceLoop(state, input, limits), initialLoopState),
      mergeMap((state) => state.effects),
      connect((effects$) =>
        merge(
          effects$.pipe(
            filter(isSessionEffect),
            groupBy((e) => sessionKeyString(e.key), {
              duration: (group$) => group$.pipe(filter((e) => e.kind === 'close-session')),
            }),
            mergeMap((group$) => runSession(group$, createSession)),
            map((input) => fromSessions.next(input)),
            ignoreElements(),
          ),
          effects$.pipe(filter(isEdgeEffect)),
        ),
      ),
    );
  });
}

/**
 * One session for the lifetime of its group: torn down (unsubscribed) the moment the loop closes it.
 * The group is hot, so a session factory must subscribe to its input synchronously.
 */
function runSession(
  group$: GroupedObservable<string, SessionEffect>,
  createSession: SessionFactory,
): Observable<LoopInput> {
  const key = parseSessionKey(group$.key);
  const input$ = group$.pipe(
    takeWhile((e): e is Extract<SessionEffect, { kind: 'to-session' }> => e.kind === 'to-session'),
    map((e) => e.input),
  );
  const closed$ = group$.pipe(filter((e) => e.kind === 'close-session'));
  return createSession(key, input$).pipe(
    map((output): LoopInput => ({ kind: 'session-output', key, output })),
    concatWith(of<LoopInput>({ kind: 'session-ended', key })),
    catchError((err: unknown) => of<LoopInput>({ kind: 'session-ended', key, error: describeError(err) })),
    takeUntil(closed$),
  );
}

function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
