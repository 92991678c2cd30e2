import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { HoldBudget, ResponseHolds } from '../hold-budget';
import { responseDrain } from '../response-drain';

/**
 * Up to this many bytes an answer is held back and sent whole with its Content-Length, as every answer was
 * before (a listing of about 1,400 entries with allprop); a larger one goes out chunked.
 */
export const HELD_ANSWER_BYTES = 1024 * 1024;

/** Once streaming, the size of each piece handed to the socket: the most any answer holds at once. */
export const ANSWER_PIECE_BYTES = 64 * 1024;

/**
 * Pieces held back by all answers together: at most 8 MiB (hold-budget.ts). Without it, 250 connections of a
 * guest that reads nothing, each listing a large folder, would hold a MiB each; with it, an answer that finds
 * the budget spent goes out chunked from then on, holding one piece at a time.
 */
export const heldPieces = new HoldBudget(128);

/**
 * An answer written as its XML is produced, so a large multistatus is never held whole. The text is encoded
 * at once into pieces of ANSWER_PIECE_BYTES (Buffers, outside V8's heap: an entry's strings die young instead
 * of being promoted while they wait, which grew the old generation to 29 MiB of garbage per listing). Pieces
 * are held back up to HELD_ANSWER_BYTES (a small answer is sent with its length when it ends, and can still
 * be replaced by an error); past that, headers go out without a length (chunked) and each piece leaves when
 * it is full (an entry larger than a piece, bounded by the listing's budgets, gets a piece of its own), the
 * next written only once the socket took the one before (back-pressure). A guest that stops reading holds
 * the listing until the connection's idle timer closes it; nothing more is buffered.
 */
export class StreamedAnswer {
  /** Filled pieces not yet handed to the socket (only while the answer is held back). */
  private sealed: Buffer[] = [];
  private sealedBytes = 0;
  /** The piece being filled: text is encoded into it at once, so no entry's string outlives its write. */
  private current = Buffer.allocUnsafe(ANSWER_PIECE_BYTES);
  private used = 0;
  private started = false;
  /** UTF-8 bytes handed to the socket. */
  private sentBytes = 0;
  /** The `heldPieces` this answer holds back: given back when the response is over (or the text dropped). */
  private readonly reserved: ResponseHolds;
  /** Set once `heldPieces` refused a piece: the answer is not held back any more. */
  private overBudget = false;

  /**
   * @param beforeWaiting runs before the answer first waits for the socket to drain, i.e. for the guest to
   *   read (PROPFIND gives up its namespace lock there).
   */
  constructor(
    private readonly res: ServerResponse,
    private readonly status: number,
    private readonly headers: OutgoingHttpHeaders,
    private readonly beforeWaiting: () => void = () => undefined,
  ) {
    this.reserved = new ResponseHolds(heldPieces, res);
  }

  /** Whether headers are out (then the status can no longer change). */
  get isStarted(): boolean {
    return this.started;
  }

  /** UTF-8 bytes the answer has grown to so far, sent or pending. */
  get bytes(): number {
    return this.sentBytes + this.sealedBytes + this.used;
  }

  /** Whether the guest went away: nothing more is worth producing. */
  get isClosed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Adds text; resolves once the socket can take more (at once while the answer is held back). */
  async write(xml: string): Promise<void> {
    const length = Buffer.byteLength(xml, 'utf8');
    if (this.used + length > this.current.length) {
      this.seal();
      if (length > this.current.length) this.current = Buffer.allocUnsafe(length);
    }
    this.used += this.current.write(xml, this.used, 'utf8');
    const holdBack = this.bytes < HELD_ANSWER_BYTES && !this.overBudget;
    if (this.started ? this.sealed.length === 0 : holdBack) return;
    if (!this.started) {
      this.started = true;
      this.res.writeHead(this.status, this.headers);
    }
    await this.flush();
  }

  /** Ends the answer: whole with its Content-Length if it was held back, else its last piece. */
  end(): void {
    this.seal();
    const pieces = this.take();
    if (this.started) {
      for (const piece of pieces) this.res.write(piece);
      this.res.end();
      return;
    }
    this.started = true;
    const whole = Buffer.concat(pieces);
    this.res.writeHead(this.status, { ...this.headers, 'Content-Length': whole.length });
    this.res.end(whole);
  }

  /** Drops the held-back text (the caller answers otherwise); only before the answer started. */
  discard(): void {
    this.sealed = [];
    this.sealedBytes = 0;
    this.used = 0;
    this.reserved.giveAllBack();
  }

  /** Cuts a started answer: the connection closes, so the guest sees an incomplete answer, never a wrong one. */
  abort(): void {
    this.discard();
    this.res.destroy();
  }

  private seal(): void {
    if (this.used === 0) return;
    if (!this.started && !this.overBudget && this.reserved.take() === undefined) this.overBudget = true;
    this.sealed.push(this.current.subarray(0, this.used));
    this.sealedBytes += this.used;
    this.used = 0;
    this.current = Buffer.allocUnsafe(ANSWER_PIECE_BYTES);
  }

  private take(): Buffer[] {
    const pieces = this.sealed;
    this.sentBytes += this.sealedBytes;
    this.sealed = [];
    this.sealedBytes = 0;
    return pieces;
  }

  private async flush(): Promise<void> {
    let ready = true;
    for (const piece of this.take()) if (!this.isClosed) ready = this.res.write(piece);
    if (ready || this.isClosed) return;
    this.beforeWaiting();
    await responseDrain(this.res); // once closed, isClosed says so to the next write
  }
}
