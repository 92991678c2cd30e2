import {
  asyncScheduler,
  Observable,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { SharingEvent, TrafficEvent } from '../sharing/sharing-types';

/**
 * How long traffic may be held back before status and progress see it: well inside the rate's 250 ms slots
 * (traffic-rate.ts) and the progress line's 250 ms redraw.
 */
export const TRAFFIC_COALESCE_MS = 100;

/**
 * Traffic events of one connection and direction that follow each other, added up into one: the same bytes,
 * fewer events. A PUT moves one event per SPICE message the guest sends (16 per MiB), and each one folded into
 * the CLI's status and progress (immutable maps and rate windows, rebuilt per event) cost 5-10 % of a PUT's CPU
 * (docs/performance.md, "What the CLI adds to a PUT" (session 33)); added up, a few events a second.
 *
 * Nothing is reordered and nothing waits but traffic: an event that starts a new HTTP message (it has
 * `announcedBytes`), traffic of another connection or direction, and every other event first let the held
 * traffic out, then pass. Held traffic goes out at the latest `maxDelayMs` after it began, and before the
 * source completes or fails.
 */
export function coalesceTraffic(
  maxDelayMs: number = TRAFFIC_COALESCE_MS,
  scheduler: SchedulerLike = asyncScheduler,
): MonoTypeOperatorFunction<SharingEvent> {
  return (source) =>
    new Observable<SharingEvent>((subscriber) => {
      let held: TrafficEvent | undefined;
      let deadline: Subscription | undefined;

      const release = (): void => {
        deadline?.unsubscribe();
        deadline = undefined;
        if (held === undefined) return;
        const event = held;
        held = undefined;
        subscriber.next(event);
      };

      const subscription = source.subscribe({
        next: (event) => {
          if (event.kind !== 'traffic') {
            release();
            subscriber.next(event);
          } else if (held !== undefined && continues(held, event)) {
            held = { ...held, bytes: held.bytes + event.bytes };
          } else {
            release();
            held = event;
            deadline = scheduler.schedule(release, maxDelayMs);
          }
        },
        error: (err: unknown) => {
          release();
          subscriber.error(err);
        },
        complete: () => {
          release();
          subscriber.complete();
        },
      });
      return () => {
        deadline?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}

/** `next` goes on with the message `held` is part of: same connection and direction, no new message. */
function continues(held: TrafficEvent, next: TrafficEvent): boolean {
  return next.id === held.id && next.direction === held.direction && next.announcedBytes === undefined;
}
