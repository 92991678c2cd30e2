import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Up to this many bytes an answer is held back and sent whole with its Content-Length, as every answer was
 * before (a listing of about 1,400 entries with allprop); a larger one goes out chunked.
 */
export const HELD_ANSWER_BYTES = 1024 * 1024;

/** Once streaming, the size of each piece handed to the socket: the most any answer holds at once. */
export const ANSWER_PIECE_BYTES = 64 * 1024;

/**
 * An answer written as its XML is produced, so a large multistatus is never held whole: the text is
 * gathered until HELD_ANSWER_BYTES (a small answer is sent with its length when it ends, and can still be
 * replaced by an error), after which headers go out without a length (chunked) and the text leaves in pieces
 * of ANSWER_PIECE_BYTES (plus at most the one write that crossed it: an entry, bounded by the listing's
 * budgets), each written only once the socket took the one before (back-pressure). A guest that
 * stops reading holds the listing until the connection's idle timer closes it; nothing more is buffered.
 */
export class StreamedAnswer {
  private pending: string[] = [];
  /** UTF-8 bytes of the pending text. */
  private pendingBytes = 0;
  private started = false;
  /** UTF-8 bytes handed to the socket. */
  private sentBytes = 0;
  /** The largest piece handed to the socket in one write (for specs that bound what is held at once). */
  largestPieceBytes = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly status: number,
    private readonly headers: OutgoingHttpHeaders,
  ) {}

  /** Whether headers are out (then the status can no longer change). */
  get isStarted(): boolean {
    return this.started;
  }

  /** UTF-8 bytes the answer has grown to so far, sent or pending. */
  get bytes(): number {
    return this.sentBytes + this.pendingBytes;
  }

  /** Whether the guest went away: nothing more is worth producing. */
  get isClosed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Adds text; resolves once the socket can take more (at once while the answer is held back). */
  async write(xml: string): Promise<void> {
    this.pending.push(xml);
    this.pendingBytes += Buffer.byteLength(xml, 'utf8');
    if (this.pendingBytes < (this.started ? ANSWER_PIECE_BYTES : HELD_ANSWER_BYTES)) return;
    if (!this.started) {
      this.started = true;
      this.res.writeHead(this.status, this.headers);
    }
    await this.flush();
  }

  /** Ends the answer: whole with its Content-Length if it was held back, else its last piece. */
  end(): void {
    const last = this.take();
    if (!this.started) {
      this.started = true;
      this.res.writeHead(this.status, { ...this.headers, 'Content-Length': last.length });
    }
    this.res.end(last);
  }

  /** Drops the held-back text (the caller answers otherwise); only before the answer started. */
  discard(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** Cuts a started answer: the connection closes, so the guest sees an incomplete answer, never a wrong one. */
  abort(): void {
    this.discard();
    this.res.destroy();
  }

  private async flush(): Promise<void> {
    const piece = this.take();
    if (this.isClosed) return;
    if (this.res.write(piece)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  private take(): Buffer {
    const piece = Buffer.from(this.pending.join(''), 'utf8');
    this.discard();
    this.sentBytes += piece.length;
    this.largestPieceBytes = Math.max(this.largestPieceBytes, piece.length);
    return piece;
  }
}
