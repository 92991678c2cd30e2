import type { GoneSignal } from './request-gone';

/** A caller waiting for a turn; `grant` is undefined once it gave up. */
type TurnWaiter = { grant: ((end: () => void) => void) | undefined };

/**
 * At most `limit` holders at once; the others wait, first come, first served. For work whose memory is
 * bounded per holder but not across them, such as listings of large folders (answer-propfind.ts). A waiter
 * may give up (`abandoned`): it leaves the queue holding nothing.
 */
export class TurnQueue {
  private held = 0;
  private waiters: TurnWaiter[] = [];
  private abandonedWaiting = 0;

  constructor(readonly limit: number) {}

  /** Resolves once it is the caller's turn, with the function that ends it (calling it again does nothing). */
  acquire(): Promise<() => void>;
  /** The same, or undefined (and no turn) if the request is gone first. */
  acquire(abandoned: GoneSignal): Promise<(() => void) | undefined>;
  acquire(abandoned?: GoneSignal): Promise<(() => void) | undefined> {
    if (abandoned?.gone === true) return Promise.resolve(undefined);
    if (this.held < this.limit) {
      this.held += 1;
      return Promise.resolve(this.ender());
    }
    return new Promise((resolve) => {
      const waiter: TurnWaiter = {
        grant: (end) => {
          stopListening?.();
          resolve(end);
        },
      };
      const giveUp = () => {
        if (waiter.grant === undefined) return;
        waiter.grant = undefined;
        this.abandonedWaiting += 1;
        resolve(undefined);
        // Dropped once they are half the queue: linear in all, whatever the order.
        if (this.abandonedWaiting * 2 >= this.waiters.length) {
          this.waiters = this.waiters.filter((w) => w.grant !== undefined);
          this.abandonedWaiting = 0;
        }
      };
      const stopListening = abandoned?.onGone(giveUp);
      this.waiters.push(waiter);
    });
  }

  /** Turns held now (specs, diagnostics). */
  get inUse(): number {
    return this.held;
  }

  /** Callers waiting for a turn (specs, diagnostics). */
  get waitingCount(): number {
    return this.waiters.length - this.abandonedWaiting;
  }

  private ender(): () => void {
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      for (let next = this.waiters.shift(); next !== undefined; next = this.waiters.shift()) {
        if (next.grant === undefined) {
          this.abandonedWaiting -= 1;
          continue;
        }
        // The turn passes straight to the next waiter: the count stays.
        next.grant(this.ender());
        return;
      }
      this.held -= 1;
    };
  }
}
