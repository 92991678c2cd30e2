/**
 * At most `limit` holders at once; the others wait, first come, first served. For work whose memory is
 * bounded per holder but not across them, such as listings of large folders (answer-propfind.ts).
 */
export class TurnQueue {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Resolves once it is the caller's turn, with the function that ends it (calling it again does nothing). */
  acquire(): Promise<() => void> {
    if (this.held < this.limit) {
      this.held += 1;
      return Promise.resolve(this.ender());
    }
    return new Promise((resolve) => this.waiting.push(() => resolve(this.ender())));
  }

  /** Turns held now (specs, diagnostics). */
  get inUse(): number {
    return this.held;
  }

  /** Callers waiting for a turn (specs, diagnostics). */
  get waitingCount(): number {
    return this.waiting.length;
  }

  private ender(): () => void {
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const next = this.waiting.shift();
      // The turn passes straight to the next waiter: the count stays.
      if (next === undefined) this.held -= 1;
      else next();
    };
  }
}
