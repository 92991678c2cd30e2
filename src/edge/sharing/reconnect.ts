import { defer, Observable, type SchedulerLike, asyncScheduler, timer, type Subscription } from 'rxjs';
import { isSpiceConnectionError, type SpiceFailureReason } from '../spice/errors';

/**
 * When to connect again after the SPICE connection failed.
 *
 * - 'off': never (the default): the failure ends the Observable.
 * - 'after-loss': after the server went away, the connection was cut or refused while the server restarts;
 *   never after being kicked by another client (SPICE serves one client at a time, and a person's viewer
 *   must win), nor after failures that another try cannot fix (password, TLS, no webdav port, protocol).
 * - 'always': like 'after-loss', and also after being kicked. Only for an unattended VM nobody views.
 */
export type ReconnectMode = 'off' | 'after-loss' | 'always';

export interface ReconnectOptions {
  readonly mode: ReconnectMode;
  /** First delay; doubles after each failed attempt. Default 1 s. */
  readonly initialDelayMs?: number;
  /** Longest delay between attempts. Default 30 s. */
  readonly maxDelayMs?: number;
  /** Give up after this many attempts in a row without reaching the server. Default: never give up. */
  readonly maxAttempts?: number;
}

/** Failures that can go away by themselves: the server restarts, the network comes back. */
const TRANSIENT: ReadonlySet<SpiceFailureReason> = new Set(['server-gone', 'refused', 'unreachable']);

export type ReconnectDecision =
  { readonly kind: 'retry'; readonly delayMs: number } | { readonly kind: 'give-up' };

/**
 * Pure: whether to try again after `error`, the `attempt`-th failure in a row (1 for the first), and after how
 * long (exponential backoff from initialDelayMs, capped at maxDelayMs).
 */
export function decideReconnect(
  error: unknown,
  attempt: number,
  options: ReconnectOptions,
): ReconnectDecision {
  if (options.mode === 'off' || !isSpiceConnectionError(error)) return { kind: 'give-up' };
  const allowed = TRANSIENT.has(error.reason) || (error.reason === 'kicked' && options.mode === 'always');
  if (!allowed) return { kind: 'give-up' };
  if (options.maxAttempts !== undefined && attempt > options.maxAttempts) return { kind: 'give-up' };
  const initial = options.initialDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  const delayMs = Math.min(max, initial * 2 ** Math.min(attempt - 1, 30));
  return { kind: 'retry', delayMs };
}

/** Emitted between attempts, so the user sees why and when the next attempt comes. */
export interface ReconnectingEvent {
  readonly kind: 'reconnecting';
  /** 1 for the first retry after a loss, counting up while attempts keep failing. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: SpiceFailureReason;
  /** The failure that caused it, as the user would have seen it without --reconnect. */
  readonly message: string;
}

/**
 * Runs `connect(attempt)` and, when it fails with an error `decideReconnect` allows, runs it again after the
 * backoff delay, emitting a `reconnecting` event first. An attempt that reaches `isEstablished` resets the
 * count (and the delay). Errors that are not retried end the Observable as they are.
 */
export function withReconnect<T>(
  connect: (attempt: number) => Observable<T>,
  options: ReconnectOptions,
  isEstablished: (value: T) => boolean,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<T | ReconnectingEvent> {
  if (options.mode === 'off') return defer(() => connect(0));
  return new Observable<T | ReconnectingEvent>((subscriber) => {
    let failures = 0;
    let current: Subscription | undefined;
    let waiting: Subscription | undefined;
    let tries = 0;
    const start = (): void => {
      const attempt = tries++;
      current = connect(attempt).subscribe({
        next: (value) => {
          if (isEstablished(value)) failures = 0;
          subscriber.next(value);
        },
        error: (error: unknown) => {
          failures += 1;
          const decision = decideReconnect(error, failures, options);
          if (decision.kind === 'give-up' || !isSpiceConnectionError(error)) {
            subscriber.error(error);
            return;
          }
          subscriber.next({
            kind: 'reconnecting',
            attempt: failures,
            delayMs: decision.delayMs,
            reason: error.reason,
            message: error.message,
          });
          waiting = timer(decision.delayMs, scheduler).subscribe(() => start());
        },
        complete: () => subscriber.complete(),
      });
    };
    start();
    return () => {
      waiting?.unsubscribe();
      current?.unsubscribe();
    };
  });
}
