/**
 * How many large buffers of one kind the engine may hold at once, across every connection of the process.
 *
 * Each connection's buffering is bounded, but not the sum: a guest can open up to `maxClients` connections and
 * stop reading. Two places hold large buffers while a connection waits for the loop's credit:
 * - a GET holds its current file read (48 frames, 3 MiB since session 34; 2 MiB from session 9; 512 KiB
 *   before): 250 downloads behind a guest that read nothing held 124 MiB with the small reads (measured,
 *   session 8; file-response.ts);
 * - a PROPFIND answer of up to 1 MiB is held back whole to be sent with its length (propfind/streamed-answer.ts).
 * Uploads use one too, for the batches they gather while waiting for the guest's bytes (upload-body-writer.ts).
 * Once `limit` are held, the caller falls back to its small form (a read of one frame; an answer streamed in
 * 64 KiB pieces) until some come back. It never makes anyone wait, so nothing can stall on it: a buffer whose
 * release never comes (a transport that does not report writes) counts until its response is over.
 */
export class HoldBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  /** Whether one more large buffer may be held now; if so, it counts until the returned function is called (once). */
  take(): (() => void) | undefined {
    if (this.held >= this.limit) return undefined;
    this.held += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held -= 1;
    };
  }

  /** Large buffers held now (specs, diagnostics). */
  get inUse(): number {
    return this.held;
  }

  /** Whether any of the budget is free (what an optional hold, a read ahead, may take). */
  get anyFree(): boolean {
    return this.held < this.limit;
  }
}

/**
 * The share of a budget one response holds: each unit is given back by its own release (once its buffer is
 * done with), and every unit still held when the response closes (it ended, or the connection went away) or
 * when `giveAllBack` is called.
 */
export class ResponseHolds {
  private readonly held = new Set<() => void>();

  constructor(
    private readonly budget: HoldBudget,
    response: { once(event: 'close', listener: () => void): unknown },
  ) {
    response.once('close', () => this.giveAllBack());
  }

  /** One more unit for this response, if the budget has one; its release also forgets it here. */
  take(): (() => void) | undefined {
    const release = this.budget.take();
    if (release === undefined) return undefined;
    const giveBack = (): void => {
      release();
      this.held.delete(giveBack);
    };
    this.held.add(giveBack);
    return giveBack;
  }

  giveAllBack(): void {
    for (const giveBack of [...this.held]) giveBack();
  }
}
