// Records a SPICE session's events for specs: wait for an event, or for the session's terminal error.

import type { Observable, Subscription } from 'rxjs';

import type { SessionEvent } from '../../../src/edge/spice/spice-session';

export interface SessionRecorder {
  events: SessionEvent[];
  /** Resolves with the first event (already seen or future) that matches; rejects if the session fails first. */
  until<K extends SessionEvent['kind']>(
    kind: K,
    predicate?: (event: Extract<SessionEvent, { kind: K }>) => boolean,
  ): Promise<Extract<SessionEvent, { kind: K }>>;
  /** Resolves with the session's error; rejects if it completes instead. */
  failure(): Promise<unknown>;
  unsubscribe(): void;
}

export function recordSession(session$: Observable<SessionEvent>): SessionRecorder {
  const events: SessionEvent[] = [];
  let ended: { error: unknown } | 'complete' | undefined;
  const wakers = new Set<() => void>();
  const wake = () => wakers.forEach((waker) => waker());
  const subscription: Subscription = session$.subscribe({
    next: (event) => {
      events.push(event);
      wake();
    },
    error: (error: unknown) => {
      ended = { error };
      wake();
    },
    complete: () => {
      ended = 'complete';
      wake();
    },
  });

  const waitUntil = <T>(check: () => { done: true; value: T } | { done: false }): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const waker = () => {
        let result: ReturnType<typeof check>;
        try {
          result = check();
        } catch (error) {
          wakers.delete(waker);
          reject(error);
          return;
        }
        if (result.done) {
          wakers.delete(waker);
          resolve(result.value);
        }
      };
      wakers.add(waker);
      waker();
    });

  return {
    events,
    until: <K extends SessionEvent['kind']>(
      kind: K,
      predicate?: (event: Extract<SessionEvent, { kind: K }>) => boolean,
    ) =>
      waitUntil<Extract<SessionEvent, { kind: K }>>(() => {
        const isWanted = (event: SessionEvent): event is Extract<SessionEvent, { kind: K }> =>
          event.kind === kind;
        const found = events.filter(isWanted).find((event) => predicate === undefined || predicate(event));
        if (found !== undefined) return { done: true, value: found };
        if (ended === 'complete') throw new Error(`the session completed before a '${kind}' event`);
        if (ended !== undefined) throw ended.error;
        return { done: false };
      }),
    failure: () =>
      waitUntil(() => {
        if (ended === 'complete') throw new Error('the session completed instead of failing');
        return ended === undefined ? { done: false } : { done: true, value: ended.error };
      }),
    unsubscribe: () => subscription.unsubscribe(),
  };
}
