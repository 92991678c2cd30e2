// Turns a channel's socket bytes (after link OK), chunked any way, into whole data messages.

import { Observable, type OperatorFunction } from 'rxjs';
import { WireError } from '../wire/errors';
import {
  initialMessageFramerState,
  isMidMessage,
  messageFramerStep,
  type MessageFramerOptions,
  type RawMessage,
} from '../wire/message-framer';

export type { RawMessage } from '../wire/message-framer';

/**
 * Emits one RawMessage per data message. Errors with WireError('too-large') when a header announces more
 * than `maxBodySize`, and with WireError('truncated') when the source completes inside a message.
 * Source errors pass through.
 */
export function spiceMessages(options: MessageFramerOptions): OperatorFunction<Buffer, RawMessage> {
  return (source) =>
    new Observable<RawMessage>((subscriber) => {
      let state = initialMessageFramerState;
      return source.subscribe({
        next(chunk) {
          let step: ReturnType<typeof messageFramerStep>;
          try {
            step = messageFramerStep(options, state, chunk);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          state = step.state;
          for (const message of step.messages) {
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
