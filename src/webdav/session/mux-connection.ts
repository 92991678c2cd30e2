import { Duplex } from 'node:stream';
import { ConnectionCut } from '../connection-cut';
import type { RequestBoundaryWatcher } from '../types';

/**
 * The HTTP server's side of one mux client, as a Duplex the engine serves like a socket.
 *
 * Request bytes go in with `deliver()`; its callback runs once the server has room for them (back-pressure
 * towards the guest). Response bytes are kept as the chunks the server wrote, and the session takes them out
 * as mux frames with `takeFrames()`: a frame is a view of one written chunk where possible, so a file read of a
 * multiple of the frame size goes out without being copied or re-joined; only small neighbouring chunks (an
 * HTTP head, a chunked-encoding marker) are joined. A write completes only while less than `highWaterMark` is
 * queued (plus what `acceptAhead` allows the response being written), so a server that respects back-pressure
 * never makes the queue hold more than that plus one write.
 */
export class MuxConnection extends Duplex implements RequestBoundaryWatcher {
  private readonly chunks: Buffer[] = [];
  /** Bytes of `chunks[0]` already taken as frames. */
  private headOffset = 0;
  private queuedBytes = 0;
  private ended = false;
  /** A write waiting for the queue to drain below the high-water mark. */
  private pendingWrite: (() => void) | undefined;
  /** The last delivery pushed, over the readable high-water mark: consumed once the server reads on. */
  private unreadDelivery: (() => void) | undefined;
  /** Deliveries not pushed yet, because the server is behind. */
  private readonly waitingDeliveries: Array<{ pieces: readonly Buffer[]; consumed: () => void }> = [];
  private notifyScheduled = false;
  /** The engine's answer to "is the connection between requests?" (RequestBoundaryWatcher). */
  private betweenRequests: (() => boolean) | undefined;
  /** Bytes a write may queue beyond the high-water mark and still complete at once (see `acceptAhead`). */
  private aheadBytes = 0;

  constructor(
    private readonly onResponse: () => void,
    highWaterMark = 64 * 1024,
  ) {
    super({
      readableHighWaterMark: highWaterMark,
      writableHighWaterMark: highWaterMark,
      allowHalfOpen: true,
    });
  }

  /**
   * Guest request bytes for the server, as the pieces they arrived in (each is pushed as it is, never joined);
   * `consumed` runs when the server has taken them all in.
   */
  deliver(pieces: readonly Buffer[], consumed: () => void): void {
    if (this.destroyed || this.readableEnded) {
      consumed(); // dropped: the session's share of the guest's buffered bytes is free again
      return;
    }
    if (this.unreadDelivery !== undefined || this.waitingDeliveries.length > 0) {
      this.waitingDeliveries.push({ pieces, consumed });
    } else {
      this.pushDelivery(pieces, consumed);
    }
  }

  /**
   * Lets writes complete at once while less than `bytes` beyond the high-water mark is queued (0: none), for
   * the response being written: a mark raised by `bytes`, which only a writer that asks for it gets. A
   * download sets one read's worth while the read budget allows: its next read then waits here, whole, when
   * the loop's next grant comes, so each grant takes one whole read in one batch (file-response.ts).
   */
  acceptAhead(bytes: number): void {
    this.aheadBytes = Math.max(0, bytes);
    if (this.hasRoom()) this.releaseWrite();
  }

  watchRequestBoundary(betweenRequests: () => boolean): void {
    this.betweenRequests = betweenRequests;
  }

  /** The server said the connection ended in the middle of a request (asked once it has ended). */
  get endedMidRequest(): boolean {
    return this.betweenRequests?.() === false;
  }

  /** Bytes of response waiting to be sent. */
  get responseBytes(): number {
    return this.queuedBytes;
  }

  /** The server has finished its response side and everything queued was taken. */
  get responseDone(): boolean {
    return this.ended && this.queuedBytes === 0;
  }

  /** Up to `maxBytes` of response, or undefined when none is queued. */
  takeFrame(maxBytes: number): Buffer | undefined {
    return this.takeFrames(maxBytes, 1)[0];
  }

  /**
   * Up to `limit` frames of at most `maxBytes` each, fewer (or none) when less is queued. A chunk of at least
   * `maxBytes` gives views of itself, taken from an offset into it (no view of its rest per frame): a GET's
   * 3 MiB read is 48 frames, and this runs for each of them.
   */
  takeFrames(maxBytes: number, limit: number): Buffer[] {
    const frames: Buffer[] = [];
    let taken = 0;
    while (frames.length < limit) {
      const head = this.chunks[0];
      if (head === undefined) break;
      const start = this.headOffset;
      if (head.length - start >= maxBytes) {
        frames.push(head.subarray(start, start + maxBytes));
        this.headOffset = start + maxBytes;
        if (this.headOffset === head.length) this.dropHead();
        taken += maxBytes;
        continue;
      }
      const frame = this.joinSmallChunks(maxBytes);
      frames.push(frame);
      taken += frame.length;
    }
    this.queuedBytes -= taken;
    if (taken > 0 && this.hasRoom()) this.releaseWrite();
    return frames;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.enqueue([chunk], callback);
  }

  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    this.enqueue(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.ended = true;
    callback();
    this.notify();
  }

  override _read(): void {
    const consumed = this.unreadDelivery;
    this.unreadDelivery = undefined;
    consumed?.();
    while (this.unreadDelivery === undefined && !this.destroyed) {
      const next = this.waitingDeliveries.shift();
      if (next === undefined) break;
      this.pushDelivery(next.pieces, next.consumed);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Like a socket whose far end went away: nothing more will be written, what is queued may still go out,
    // unless the connection is cut on purpose (its session then ends now, not once the guest has read it all).
    if (error instanceof ConnectionCut) {
      this.chunks.length = 0;
      this.headOffset = 0;
      this.queuedBytes = 0;
    }
    this.ended = true;
    this.releaseWrite();
    // Deliveries the server will never read count as consumed: the loop frees their share of its buffer.
    const dropped = [this.unreadDelivery, ...this.waitingDeliveries.map((waiting) => waiting.consumed)];
    this.unreadDelivery = undefined;
    this.waitingDeliveries.length = 0;
    callback(error);
    for (const consumed of dropped) consumed?.();
    this.notify();
  }

  private dropHead(): void {
    this.chunks.shift();
    this.headOffset = 0;
  }

  /** The rest of the head chunk (under `maxBytes`) and as many whole chunks after it as fit in `maxBytes`. */
  private joinSmallChunks(maxBytes: number): Buffer {
    const head = this.chunks[0] as Buffer;
    const rest = this.headOffset === 0 ? head : head.subarray(this.headOffset);
    let count = 1;
    let size = rest.length;
    while (count < this.chunks.length && size + (this.chunks[count] as Buffer).length <= maxBytes) {
      size += (this.chunks[count] as Buffer).length;
      count += 1;
    }
    const taken = this.chunks.splice(0, count);
    this.headOffset = 0;
    if (count === 1) return rest;
    taken[0] = rest;
    return Buffer.concat(taken, size);
  }

  /** The pieces are in memory already: pushing them all holds no more, and the last push says if there is room. */
  private pushDelivery(pieces: readonly Buffer[], consumed: () => void): void {
    let room = true;
    for (const piece of pieces) room = this.push(piece);
    if (room) consumed();
    else this.unreadDelivery = consumed;
  }

  private enqueue(chunks: Buffer[], callback: () => void): void {
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.queuedBytes += chunk.length;
    }
    if (this.hasRoom()) callback();
    else this.pendingWrite = callback;
    this.notify();
  }

  /** Tells the session once per tick, so what the server writes together (a head and a body) is seen together. */
  private notify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    process.nextTick(() => {
      this.notifyScheduled = false;
      this.onResponse();
    });
  }

  /** Whether a write may complete: less than the mark (raised by `acceptAhead`) is queued. */
  private hasRoom(): boolean {
    return this.queuedBytes < this.writableHighWaterMark + this.aheadBytes;
  }

  private releaseWrite(): void {
    const write = this.pendingWrite;
    this.pendingWrite = undefined;
    write?.();
  }
}
