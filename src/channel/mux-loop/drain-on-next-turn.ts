import { Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

type Ending = { readonly kind: 'complete' } | { readonly kind: 'error'; readonly error: unknown };

/**
 * Re-emits the source's values on `scheduler`'s next turn, in order, like `observeOn(scheduler)`, but with ONE
 * scheduled action per turn instead of one per value: the values that arrive before the turn are queued and
 * emitted together then. A value that arrives while the queue is being emitted (fed back from downstream) waits
 * for the following turn, so nothing is ever emitted synchronously from inside its own consumer. The source's
 * completion or error follows the values queued before it, also on a turn of the scheduler. `join` may merge a
 * value into the one queued just before it (undefined: keep both).
 */
export function drainOnNextTurn<T>(
  scheduler: SchedulerLike,
  join: (queued: T, next: T) => T | undefined = () => undefined,
): MonoTypeOperatorFunction<T> {
  return (source$) =>
    new Observable<T>((subscriber) => {
      let queue: T[] = [];
      let ending: Ending | undefined;
      let scheduled: Subscription | undefined;
      const drain = (): void => {
        scheduled = undefined;
        const ready = queue;
        queue = [];
        for (const value of ready) {
          if (subscriber.closed) return;
          subscriber.next(value);
        }
        if (ending === undefined || queue.length > 0) return;
        if (ending.kind === 'complete') subscriber.complete();
        else subscriber.error(ending.error);
      };
      const schedule = (): void => {
        scheduled ??= scheduler.schedule(drain);
      };
      const source = source$.subscribe({
        next: (value) => {
          const last = queue.length === 0 ? undefined : queue[queue.length - 1];
          const joined = last === undefined ? undefined : join(last, value);
          if (joined === undefined) queue.push(value);
          else queue[queue.length - 1] = joined;
          schedule();
        },
        error: (error: unknown) => {
          ending = { kind: 'error', error };
          schedule();
        },
        complete: () => {
          ending = { kind: 'complete' };
          schedule();
        },
      });
      return () => {
        source.unsubscribe();
        scheduled?.unsubscribe();
      };
    });
}
