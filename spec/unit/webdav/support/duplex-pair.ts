import { Duplex } from 'node:stream';

/**
 * One end of an in-memory connection. Writes become the peer's readable data, with backpressure: a write
 * completes only once the peer's reader wants more. Ending one side ends the peer's readable side;
 * destroying one side destroys the peer, like a reset socket.
 */
class PairEnd extends Duplex {
  peer: PairEnd | undefined;
  private pendingWrite: (() => void) | undefined;

  override _read(): void {
    const resume = this.peer?.pendingWrite;
    if (this.peer) this.peer.pendingWrite = undefined;
    resume?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    if (!peer || peer.destroyed) return callback(new Error('peer is gone'));
    if (peer.push(chunk)) callback();
    else this.pendingWrite = () => callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer?.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const peer = this.peer;
    this.pendingWrite = undefined;
    if (peer && !peer.destroyed) process.nextTick(() => peer.destroy());
    callback(error);
  }
}

export function duplexPair(): [Duplex, Duplex] {
  const left = new PairEnd();
  const right = new PairEnd();
  left.peer = right;
  right.peer = left;
  return [left, right];
}
