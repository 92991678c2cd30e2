import { LeavableQueue } from './leavable-queue';
import type { GoneSignal } from './request-gone';

/**
 * At most `limit` holders at once; the others wait, first come, first served. For work whose memory is
 * bounded per holder but not across them, such as listings of large folders (answer-propfind.ts). A waiter
 * may give up (`abandoned`): it leaves the queue holding nothing.
 */
export class TurnQueue {
  private held = 0;
  /** Callers waiting, each as what hands it the turn. */
  private readonly waiters = new LeavableQueue<(end: () => void) => void>();

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
      const leaveLine = this.waiters.add((end) => {
        stopListening?.();
        resolve(end);
      });
      const stopListening = abandoned?.onGone(() => {
        if (leaveLine()) resolve(undefined);
      });
    });
  }

  /** Turns held now (specs, diagnostics). */
  get inUse(): number {
    return this.held;
  }

  /** Callers waiting for a turn (specs, diagnostics). */
  get waitingCount(): number {
    return this.waiters.size;
  }

  private ender(): () => void {
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const next = this.waiters.take();
      // The turn passes straight to the next waiter: the count stays.
      if (next !== undefined) {
        next(this.ender());
        return;
      }
      this.held -= 1;
    };
  }
}
