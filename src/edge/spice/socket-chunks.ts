import type { Socket } from 'node:net';
import { Observable } from 'rxjs';

/**
 * The bytes a socket receives after the link handshake, as an Observable: first the bytes the handshake read
 * ahead, then every 'data' chunk. Completes on EOF, errors on a socket error (e.g. ECONNRESET).
 * `alreadyEnded` covers a socket that ended while the handshake still owned it.
 */
export function socketChunks(
  socket: Socket,
  readAhead: Buffer,
  alreadyEnded: Error | 'eof' | undefined,
): Observable<Buffer> {
  return new Observable<Buffer>((subscriber) => {
    if (readAhead.length > 0) subscriber.next(readAhead);
    if (alreadyEnded === 'eof') {
      subscriber.complete();
      return undefined;
    }
    if (alreadyEnded !== undefined) {
      subscriber.error(alreadyEnded);
      return undefined;
    }
    const onData = (chunk: Buffer) => subscriber.next(chunk);
    const onEnd = () => subscriber.complete();
    const onError = (error: Error) => subscriber.error(error);
    socket.on('data', onData);
    socket.on('end', onEnd);
    // 'close' without 'end' happens when the socket is destroyed locally or reset without an 'error'.
    socket.on('close', onEnd);
    socket.on('error', onError);
    socket.resume();
    return () => {
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
      socket.removeListener('close', onEnd);
      socket.removeListener('error', onError);
    };
  });
}
