// Turns a channel's socket bytes (after link OK), chunked any way, into whole data messages.

import { Observable, type OperatorFunction } from 'rxjs';
import { WireError } from '../wire/errors';
import {
  initialMessageFramerState,
  isMidMessage,
  messageFramerPiecesStep,
  messageFramerStep,
  type MessageFramerOptions,
  type MessageFramerState,
  type RawMessage,
  type RawPiecedMessage,
} from '../wire/message-framer';

export type { RawMessage, RawPiecedMessage } from '../wire/message-framer';

type FramerStep<M> = (
  options: MessageFramerOptions,
  state: MessageFramerState,
  chunk: Buffer,
) => { state: MessageFramerState; messages: M[] };

function framedMessages<M>(options: MessageFramerOptions, step: FramerStep<M>): OperatorFunction<Buffer, M> {
  return (source) =>
    new Observable<M>((subscriber) => {
      let state = initialMessageFramerState;
      return source.subscribe({
        next(chunk) {
          let result: { state: MessageFramerState; messages: M[] };
          try {
            result = step(options, state, chunk);
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

/**
 * Emits one RawMessage per data message. Errors with WireError('too-large') when a header announces more
 * than `maxBodySize`, and with WireError('truncated') when the source completes inside a message.
 * Source errors pass through.
 */
export function spiceMessages(options: MessageFramerOptions): OperatorFunction<Buffer, RawMessage> {
  return framedMessages(options, messageFramerStep);
}

/** Like `spiceMessages`, but each body is the pieces it arrived in (a few views of the socket's reads). */
export function spicePiecedMessages(
  options: MessageFramerOptions,
): OperatorFunction<Buffer, RawPiecedMessage> {
  return framedMessages(options, messageFramerPiecesStep);
}
