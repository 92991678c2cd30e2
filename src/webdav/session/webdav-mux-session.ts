import type { Duplex } from 'node:stream';
import { Observable } from 'rxjs';
import type { SessionFactory } from '../../channel/mux-loop/select-loop';
import type { SessionOutput } from '../../channel/mux-loop/loop-messages';
import { MUX_MAX_PAYLOAD } from '../../wire/constants';
import { createDuplexPair } from './duplex-pair';

/** Anything that serves one HTTP/1.1 connection over a Duplex: the WebDAV engine, or the 503 stand-in. */
export interface ConnectionServer {
  serve(connection: Duplex): void;
}

/**
 * Makes a select-loop session out of an HTTP connection server. Per mux client, an in-memory duplex pair: the
 * server end goes to `serverFor()`, the guest's request bytes are written to the client end, and response bytes
 * are read from it only against grants, at most 65535 bytes per chunk (one mux frame each).
 */
export function httpSessionFactory(serverFor: () => ConnectionServer): SessionFactory {
  return (_key, input$) =>
    new Observable<SessionOutput>((subscriber) => {
      const [clientEnd, serverEnd] = createDuplexPair();
      let credits = 0;
      let ended = false;

      const pump = (): void => {
        // One frame's worth per read: read() without a size would join everything buffered into a new
        // buffer, and giving back an unused tail would be joined (copied) again on the next grant.
        while (credits > 0 && clientEnd.readableLength > 0) {
          const piece = clientEnd.read(Math.min(MUX_MAX_PAYLOAD, clientEnd.readableLength)) as Buffer | null;
          if (piece === null) break;
          credits -= 1;
          subscriber.next({ kind: 'response-data', data: piece });
        }
        // With the buffer empty, a sizeless read lets the stream report its end (or ask for more).
        if (credits > 0 && clientEnd.readableLength === 0) clientEnd.read();
        if (ended && clientEnd.readableLength === 0) subscriber.complete();
      };

      clientEnd.on('readable', pump);
      clientEnd.on('end', () => {
        ended = true;
        pump();
      });
      clientEnd.on('error', (err) => subscriber.error(err));
      serverEnd.on('error', () => clientEnd.destroy());

      const requests = input$.subscribe({
        next: (input) => {
          if (input.kind === 'grant') {
            credits += input.chunks;
            pump();
            return;
          }
          const bytes = input.data.length;
          clientEnd.write(input.data, (err) => {
            if (!err) subscriber.next({ kind: 'request-consumed', bytes });
          });
        },
      });

      try {
        serverFor().serve(serverEnd);
      } catch (err) {
        subscriber.error(err);
      }

      return () => {
        requests.unsubscribe();
        clientEnd.removeAllListeners('readable');
        clientEnd.destroy();
        serverEnd.destroy();
      };
    });
}
