// Splits a channel's byte stream (after link OK) into data messages, incrementally and purely.

import { decodeDataHeader, headerSize, type HeaderKind } from './data-header';
import { WireError } from './errors';
import {
  framerPiecesStep,
  framerStep,
  initialFramerState,
  isMidFrame,
  type FramerSpec,
  type FramerState,
} from './framer';

/** One data message without its header. */
export interface RawMessage {
  type: number;
  body: Buffer;
}

/** One data message without its header, its body as the pieces it arrived in (views of the chunks fed in). */
export interface RawPiecedMessage {
  type: number;
  pieces: readonly Buffer[];
  size: number;
}

/**
 * Most pieces a body is passed on in; one that came in more is joined (once). A 64 KiB data message spans two
 * socket reads, rarely three; a server that trickles bytes gets them joined, so a message stays a few buffers.
 */
export const MAX_BODY_PIECES = 4;

export interface MessageFramerOptions {
  header: HeaderKind;
  /** A header announcing a larger body fails the stream with WireError('too-large'). */
  maxBodySize: number;
}

export type MessageFramerState = FramerState<number>;

export const initialMessageFramerState: MessageFramerState = initialFramerState<number>();

function messageFraming(options: MessageFramerOptions): FramerSpec<number> {
  return {
    headerSize: headerSize(options.header),
    parseHeader: (header) => {
      const { type, size } = decodeDataHeader(options.header, header);
      if (size > options.maxBodySize) {
        throw new WireError(
          'too-large',
          `SPICE message type ${type} announces a ${size}-byte body, more than the ${options.maxBodySize} bytes allowed`,
        );
      }
      return { meta: type, size };
    },
  };
}

/** Feeds one chunk; returns the messages it completes. Throws WireError('too-large') for an oversized body. */
export function messageFramerStep(
  options: MessageFramerOptions,
  state: MessageFramerState,
  chunk: Buffer,
): { state: MessageFramerState; messages: RawMessage[] } {
  const step = framerStep(messageFraming(options), state, chunk);
  return { state: step.state, messages: step.frames.map(({ meta, body }) => ({ type: meta, body })) };
}

/**
 * Like `messageFramerStep`, but a body that spans chunks comes as its pieces (at most `MAX_BODY_PIECES`, else
 * joined), so a data message is not copied on its way to a reader that can take pieces.
 */
export function messageFramerPiecesStep(
  options: MessageFramerOptions,
  state: MessageFramerState,
  chunk: Buffer,
): { state: MessageFramerState; messages: RawPiecedMessage[] } {
  const step = framerPiecesStep(messageFraming(options), state, chunk, MAX_BODY_PIECES);
  return {
    state: step.state,
    messages: step.frames.map(({ meta, pieces, size }) => ({ type: meta, pieces, size })),
  };
}

/** Whether the stream stopped inside a message. */
export function isMidMessage(state: MessageFramerState): boolean {
  return isMidFrame(state);
}
