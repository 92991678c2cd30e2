/** What the limiter says of one line: show it, with how many of its kind were left out before it, or not. */
export type RepeatVerdict = { readonly show: true; readonly leftOut: number } | { readonly show: false };

/**
 * Lines of one kind shown at most `perWindow` times per `windowMs`; the rest are counted and the count told
 * with the next line of that kind shown. For what the SPICE server or the guest can repeat at will (the
 * guest's daemon starting and stopping, server notices): 20,000 port events from a hostile server were 10,000
 * log lines, which under systemd fill the journal. Pure apart from its own counts; time comes in.
 */
export class RepeatLimiter {
  private readonly kinds = new Map<string, { windowStart: number; shown: number; leftOut: number }>();

  constructor(
    private readonly perWindow = 10,
    private readonly windowMs = 10_000,
  ) {}

  judge(kind: string, now: number): RepeatVerdict {
    let state = this.kinds.get(kind);
    if (state === undefined || now - state.windowStart >= this.windowMs) {
      state = { windowStart: now, shown: 0, leftOut: state?.leftOut ?? 0 };
      this.kinds.set(kind, state);
    }
    if (state.shown >= this.perWindow) {
      state.leftOut += 1;
      return { show: false };
    }
    state.shown += 1;
    const leftOut = state.leftOut;
    state.leftOut = 0;
    return { show: true, leftOut };
  }
}
