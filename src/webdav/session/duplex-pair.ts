import { Duplex } from 'node:stream';

/**
 * Two in-memory Duplex streams wired back to back, with back-pressure in both directions: a write on one end
 * completes (its callback runs) only once the other end's reader has room, so a writer that respects `write()`'s
 * return value never makes either side buffer more than one high-water mark plus one chunk.
 * (Node 20 has no stream.duplexPair; it came in Node 22.)
 */
export function createDuplexPair(highWaterMark = 64 * 1024): [PairedDuplex, PairedDuplex] {
  const a = new PairedDuplex(highWaterMark);
  const b = new PairedDuplex(highWaterMark);
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export class PairedDuplex extends Duplex {
  peer: PairedDuplex | undefined;
  /** The peer's write that is waiting for our reader to want more. */
  private pendingPeerWrite: (() => void) | undefined;

  constructor(highWaterMark: number) {
    super({
      readableHighWaterMark: highWaterMark,
      writableHighWaterMark: highWaterMark,
      allowHalfOpen: true,
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (peer === undefined || peer.destroyed) {
      callback(new Error('the other end of this connection is closed'));
      return;
    }
    if (peer.push(chunk)) callback();
    else peer.pendingPeerWrite = () => callback();
  }

  override _read(): void {
    const resume = this.pendingPeerWrite;
    this.pendingPeerWrite = undefined;
    resume?.();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.peer !== undefined && !this.peer.destroyed) this.peer.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    const pending = this.pendingPeerWrite;
    this.pendingPeerWrite = undefined;
    pending?.();
    // The other side sees the end of the stream, as a socket's reader would when the far end goes away.
    if (peer !== undefined && !peer.destroyed && !peer.readableEnded) peer.push(null);
    callback(error);
  }
}
