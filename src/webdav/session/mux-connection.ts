import { Duplex } from 'node:stream';

/**
 * The HTTP server's side of one mux client, as a Duplex the engine serves like a socket.
 *
 * Request bytes go in with `deliver()`; its callback runs once the server has room for them (back-pressure
 * towards the guest). Response bytes are kept as the chunks the server wrote, and the session takes them out
 * as mux frames with `takeFrame()`: a frame is a view of one written chunk where possible, so a file read of a
 * multiple of the frame size goes out without being copied or re-joined; only small neighbouring chunks (an
 * HTTP head, a chunked-encoding marker) are joined. A write completes only while less than `highWaterMark` is
 * queued, so a server that respects back-pressure never makes the queue hold more than that plus one write.
 */
export class MuxConnection extends Duplex {
  private readonly chunks: Buffer[] = [];
  private queuedBytes = 0;
  private ended = false;
  /** A write waiting for the queue to drain below the high-water mark. */
  private pendingWrite: (() => void) | undefined;
  /** The last delivery pushed, over the readable high-water mark: consumed once the server reads on. */
  private unreadDelivery: (() => void) | undefined;
  /** Deliveries not pushed yet, because the server is behind. */
  private readonly waitingDeliveries: Array<{ pieces: readonly Buffer[]; consumed: () => void }> = [];
  private notifyScheduled = false;

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
    if (this.destroyed || this.readableEnded) return;
    if (this.unreadDelivery !== undefined || this.waitingDeliveries.length > 0) {
      this.waitingDeliveries.push({ pieces, consumed });
    } else {
      this.pushDelivery(pieces, consumed);
    }
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
    const head = this.chunks[0];
    if (head === undefined) return undefined;
    let frame: Buffer;
    if (head.length >= maxBytes) {
      frame = head.subarray(0, maxBytes);
      if (head.length === maxBytes) this.chunks.shift();
      else this.chunks[0] = head.subarray(maxBytes);
    } else {
      let count = 1;
      let size = head.length;
      while (count < this.chunks.length && size + this.chunks[count].length <= maxBytes) {
        size += this.chunks[count].length;
        count += 1;
      }
      const taken = this.chunks.splice(0, count);
      frame = count === 1 ? head : Buffer.concat(taken, size);
    }
    this.queuedBytes -= frame.length;
    if (this.queuedBytes < this.writableHighWaterMark) this.releaseWrite();
    return frame;
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
    // Like a socket whose far end went away: nothing more will be written, what is queued may still go out.
    this.ended = true;
    this.releaseWrite();
    this.unreadDelivery = undefined;
    this.waitingDeliveries.length = 0;
    callback(error);
    this.notify();
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
    if (this.queuedBytes < this.writableHighWaterMark) callback();
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

  private releaseWrite(): void {
    const write = this.pendingWrite;
    this.pendingWrite = undefined;
    write?.();
  }
}
