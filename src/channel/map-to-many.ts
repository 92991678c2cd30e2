import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Maps each value to zero or more values, emitted at once and in order: what `mergeMap(v => of(...))`,
 * `mergeMap(v => EMPTY)` or `mergeMap(v => array)` emit, without an inner subscription per value.
 *
 * Why not mergeMap: the bulk-data path maps every loop step, effect and SPICE message this way, a few per
 * 64 KiB frame. With mergeMap each one builds and tears down an inner Subscriber, which is most of the
 * JavaScript a fresh process runs per frame before V8 has optimized it, and many more functions for V8 to
 * optimize (docs/performance.md, "Fewer rxjs hops and larger batches (session 8)").
 *
 * An error thrown by `project` errors the output, as mergeMap does. Stops emitting a value's results as soon as
 * the subscriber is closed (e.g. a downstream take).
 */
export function mapToMany<T, R>(project: (value: T) => readonly R[]): OperatorFunction<T, R> {
  return (source$) =>
    new Observable<R>((subscriber) =>
      source$.subscribe({
        next: (value) => {
          let results: readonly R[];
          try {
            results = project(value);
          } catch (error: unknown) {
            subscriber.error(error);
            return;
          }
          for (let index = 0; index < results.length && !subscriber.closed; index += 1) {
            subscriber.next(results[index] as R);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
