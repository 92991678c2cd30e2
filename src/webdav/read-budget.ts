/**
 * How many large file reads GET holds at once, across every download of the process.
 *
 * A download holds its current read (8 frames, 512 KiB) in its connection until the loop grants it credit,
 * and the read's frames keep the buffer until the SPICE socket has written them. Per download that is bounded,
 * but not across downloads: 250 guest connections each asking for a file while the guest read nothing held
 * 124 MiB of reads (measured, session 8). So once `limit` large reads are held, further reads are one frame
 * (64 KiB) each until some come back: many downloads behind a slow guest cost 64 KiB each, not 512 KiB. It
 * never makes a download wait, so it cannot stall one whose buffers never come back (a transport other than
 * the SPICE socket, which the engine does not know of): those count until their response is over.
 */
export class ReadBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  /** Whether a large read may be made now; if so, it counts until the returned function is called (once). */
  takeLarge(): (() => void) | undefined {
    if (this.held >= this.limit) return undefined;
    this.held += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held -= 1;
    };
  }

  /** Large reads held now (specs, diagnostics). */
  get inUse(): number {
    return this.held;
  }
}
