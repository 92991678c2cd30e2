import type { Socket } from 'node:net';

/** The peer closed (or reset) the socket before `wanted` bytes arrived. */
export class EndOfStreamError extends Error {
  constructor(
    readonly wanted: number,
    readonly received: number,
    cause?: Error,
  ) {
    super(
      `connection closed after ${received} of ${wanted} expected bytes${cause ? ` (${cause.message})` : ''}`,
      {
        cause,
      },
    );
    this.name = 'EndOfStreamError';
  }
}

/**
 * Reads exact byte counts from a socket, for the request/answer steps of the link handshake.
 * `detach()` stops reading and hands back whatever arrived beyond the last read, so the message framer
 * that takes over the socket sees every byte.
 */
export class SocketReader {
  private buffered: Buffer[] = [];
  private bufferedLength = 0;
  private ended: Error | 'eof' | undefined;
  private waiter: (() => void) | undefined;

  private readonly onData = (chunk: Buffer) => {
    this.buffered.push(chunk);
    this.bufferedLength += chunk.length;
    this.wake();
  };
  private readonly onEnd = () => {
    this.ended ??= 'eof';
    this.wake();
  };
  private readonly onError = (error: Error) => {
    this.ended ??= error;
    this.wake();
  };

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
  }

  async read(length: number): Promise<Buffer> {
    while (this.bufferedLength < length) {
      if (this.ended !== undefined) {
        throw new EndOfStreamError(
          length,
          this.bufferedLength,
          this.ended === 'eof' ? undefined : this.ended,
        );
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    const all = Buffer.concat(this.buffered, this.bufferedLength);
    this.buffered = [all.subarray(length)];
    this.bufferedLength = all.length - length;
    return all.subarray(0, length);
  }

  /**
   * Stop reading (the socket is left paused) and return the bytes read ahead, and whether the socket already
   * ended: its 'end'/'close' events have fired by then and will not fire again for the next reader.
   */
  detach(): { leftover: Buffer; ended: Error | 'eof' | undefined } {
    this.socket.pause();
    this.socket.removeListener('data', this.onData);
    this.socket.removeListener('end', this.onEnd);
    this.socket.removeListener('close', this.onEnd);
    this.socket.removeListener('error', this.onError);
    return { leftover: Buffer.concat(this.buffered, this.bufferedLength), ended: this.ended };
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
