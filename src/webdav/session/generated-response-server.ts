import type { Duplex } from 'node:stream';
import { MUX_MAX_PAYLOAD } from '../../wire/constants';
import type { ConnectionServer } from './webdav-mux-session';

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
/** One mux frame's worth, so the raw channel sends full frames as the file path does. */
const PIECE_SIZE = MUX_MAX_PAYLOAD;

/**
 * A stand-in for the WebDAV engine that answers every request on a connection with `bodyBytes` generated
 * bytes (zeros; headers only for HEAD), without touching a file system or parsing more than the end of the request head. Benchmarks
 * use it to measure the raw channel: what the SPICE path itself can carry, so the engine's share is known.
 * Request bodies are not supported (the benchmark sends GETs only).
 */
export function createGeneratedResponseServer(bodyBytes: number): ConnectionServer {
  const piece = Buffer.alloc(Math.min(PIECE_SIZE, Math.max(bodyBytes, 1)));
  const head = Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${bodyBytes}\r\n\r\n`,
    'latin1',
  );
  return {
    serve(connection: Duplex): void {
      let received = Buffer.alloc(0);
      let answering = false;
      // One entry per request head seen: whether it asks for a body (HEAD does not).
      const queued: boolean[] = [];

      const answerNext = (): void => {
        if (answering || queued.length === 0) return;
        const withBody = queued.shift() === true;
        answering = true;
        let left = withBody ? bodyBytes : 0;
        const writeMore = (): void => {
          while (left > 0) {
            const size = Math.min(left, piece.length);
            left -= size;
            if (!connection.write(size === piece.length ? piece : piece.subarray(0, size))) {
              connection.once('drain', writeMore);
              return;
            }
          }
          answering = false;
          answerNext();
        };
        connection.write(head);
        writeMore();
      };

      connection.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        for (let end = received.indexOf(HEADER_END); end >= 0; end = received.indexOf(HEADER_END)) {
          queued.push(!received.subarray(0, 5).toString('latin1').startsWith('HEAD '));
          received = received.subarray(end + HEADER_END.length);
        }
        answerNext();
      });
      connection.on('end', () => connection.end());
      connection.on('error', () => connection.destroy());
    },
  };
}
