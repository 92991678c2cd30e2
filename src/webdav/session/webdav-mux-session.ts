import type { Duplex } from 'node:stream';
import { Observable } from 'rxjs';
import type { SessionFactory } from '../../channel/mux-loop/select-loop';
import type { SessionOutput } from '../../channel/mux-loop/loop-messages';
import { MUX_MAX_PAYLOAD } from '../../wire/constants';
import { MuxConnection } from './mux-connection';

/** Anything that serves one HTTP/1.1 connection over a Duplex: the WebDAV engine, or the 503 stand-in. */
export interface ConnectionServer {
  serve(connection: Duplex): void;
}

/**
 * Makes a select-loop session out of an HTTP connection server. Per mux client, one MuxConnection served by
 * `serverFor()`: the guest's request bytes are delivered into it, and response bytes are taken out only against
 * grants, at most 65535 bytes per frame, as many frames per output as the credits allow.
 */
export function httpSessionFactory(serverFor: () => ConnectionServer): SessionFactory {
  return (_key, input$) =>
    new Observable<SessionOutput>((subscriber) => {
      let credits = 0;
      // Revoked (see SessionInput 'revoke'): no grant comes until the session says it has something to send.
      let mustAsk = false;
      // Never granted: credit handed out ahead went to others, and this session waits in line behind them; it
      // says when it has a response, so that it goes first (reduce-loop.ts, 'response-waiting').
      let neverGranted = true;
      let asked = false;

      // All the frames the credits allow go out as one output: the loop takes them in one step.
      const pump = (): void => {
        const frames = subscriber.closed ? [] : connection.takeFrames(MUX_MAX_PAYLOAD, credits);
        credits -= frames.length;
        if (frames.length > 0) subscriber.next({ kind: 'response-data', frames });
        if (connection.responseDone) {
          if (connection.endedMidRequest) subscriber.next({ kind: 'ended-mid-request' });
          subscriber.complete();
          return;
        }
        const waitsUnheard = mustAsk || neverGranted;
        if (waitsUnheard && !asked && credits === 0 && connection.responseBytes > 0 && !subscriber.closed) {
          asked = true;
          subscriber.next({ kind: 'response-waiting' });
        }
      };
      const connection = new MuxConnection(pump);
      // An error has already destroyed the connection, which ends the response side; the session then completes.
      connection.on('error', () => undefined);

      const requests = input$.subscribe({
        next: (input) => {
          if (input.kind === 'grant') {
            credits += input.chunks;
            mustAsk = false;
            neverGranted = false;
            asked = false;
            pump();
            return;
          }
          if (input.kind === 'revoke') {
            subscriber.next({ kind: 'credits-returned', chunks: credits });
            credits = 0;
            mustAsk = true;
            asked = false;
            pump();
            return;
          }
          const { bytes } = input;
          connection.deliver(input.pieces, () => subscriber.next({ kind: 'request-consumed', bytes }));
        },
      });

      try {
        serverFor().serve(connection);
      } catch (err) {
        subscriber.error(err);
      }

      return () => {
        requests.unsubscribe();
        connection.destroy();
      };
    });
}
