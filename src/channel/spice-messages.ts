// Turns a channel's socket bytes (after link OK), chunked any way, into whole data messages.

import { Observable, type OperatorFunction } from 'rxjs';
import { WireError } from '../wire/errors';
import {
  initialMessageFramerState,
  isMidMessage,
  messageFramerPiecesStep,
  type MessageFramerOptions,
  type MessageFramerState,
  type RawPiecedMessage,
} from '../wire/message-framer';

export type { RawPiecedMessage } from '../wire/message-framer';

/**
 * Emits one message per data message, its body as the pieces it arrived in (a few views of the socket's
 * reads, joined only past `MAX_BODY_PIECES`). Errors with WireError('too-large') when a header announces more
 * than `maxBodySize`, and with WireError('truncated') when the source completes inside a message. Source
 * errors pass through.
 */
export function spicePiecedMessages(
  options: MessageFramerOptions,
): OperatorFunction<Buffer, RawPiecedMessage> {
  return (source) =>
    new Observable<RawPiecedMessage>((subscriber) => {
      let state = initialMessageFramerState;
      return source.subscribe({
        next(chunk) {
          let result: { state: MessageFramerState; messages: RawPiecedMessage[] };
          try {
            result = messageFramerPiecesStep(options, state, chunk);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          state = result.state;
          for (const message of result.messages) {
            if (subscriber.closed) return;
            subscriber.next(message);
          }
        },
        error(error) {
          subscriber.error(error);
        },
        complete() {
          if (isMidMessage(state)) {
            subscriber.error(
              new WireError('truncated', 'the SPICE channel closed in the middle of a message'),
            );
          } else {
            subscriber.complete();
          }
        },
      });
    });
}
