import fc from 'fast-check';
import { ChannelType, SpicevmcServerMsg } from '../../../src/wire/constants';
import { encodeMessage } from '../../../src/wire/data-header';
import {
  MAX_BODY_PIECES,
  initialMessageFramerState,
  isMidMessage,
  messageFramerPiecesStep,
  messageFramerStep,
  type RawPiecedMessage,
} from '../../../src/wire/message-framer';
import { initialFramerState, piecesHeld } from '../../../src/wire/framer';
import { decodeServerMessagePieces } from '../../../src/wire/messages/server-message';
import { isViewOfSome, ownMemory, splitAt } from './wire-spec-helpers';

function frameAll(chunks: readonly Buffer[]): RawPiecedMessage[] {
  const options = { header: 'mini', maxBodySize: 70000 } as const;
  let state = initialMessageFramerState;
  const messages: RawPiecedMessage[] = [];
  for (const chunk of chunks) {
    const step = messageFramerPiecesStep(options, state, chunk);
    state = step.state;
    messages.push(...step.messages);
  }
  expect(isMidMessage(state)).toBe(false);
  return messages;
}

const joined = (messages: readonly RawPiecedMessage[]) =>
  messages.map(({ type, pieces, size }) => ({ type, body: Buffer.concat(pieces), size }));

describe('messageFramerPiecesStep', () => {
  // Two SPICEVMC_DATA messages of 64 KiB + 15 bytes: more than one 64 KiB socket read each.
  const bodies = [Buffer.alloc(65551, 1), Buffer.alloc(65551, 2)];
  const stream = Buffer.concat(
    bodies.map((body, i) => encodeMessage('mini', { type: 101, body, serial: BigInt(i + 1) })),
  );
  const expected = bodies.map((body) => ({ type: 101, body, size: body.length }));

  it('passes a body that spans socket reads on as views of them, never joined', () => {
    const reads: Buffer[] = [];
    for (let at = 0; at < stream.length; at += 65536) reads.push(stream.subarray(at, at + 65536));
    const chunks = ownMemory(reads);
    const messages = frameAll(chunks);
    expect(joined(messages)).toEqual(expected);
    for (const message of messages) {
      expect(message.pieces).toHaveLength(2);
      for (const piece of message.pieces) expect(isViewOfSome(piece, chunks)).toBe(true);
    }
  });

  it('joins a body that came in more than MAX_BODY_PIECES pieces', () => {
    const small = encodeMessage('mini', { type: 101, body: Buffer.from('0123456789'), serial: 1n });
    const chunks = Array.from(small, (_, i) => small.subarray(i, i + 1));
    const [message] = frameAll(chunks);
    expect(message?.pieces).toHaveLength(1);
    expect(message?.pieces[0]?.toString()).toBe('0123456789');
    for (let cut = 0; cut <= small.length; cut++) {
      for (const each of frameAll([small.subarray(0, cut), small.subarray(cut)])) {
        expect(each.pieces.length).toBeLessThanOrEqual(MAX_BODY_PIECES);
        expect(Buffer.concat(each.pieces).toString()).toBe('0123456789');
      }
    }
  });
});

describe('a body trickled a byte per read', () => {
  // A hostile server announces a large body and sends it a byte per TCP write, never the last one: a view
  // and its objects per byte held 222 MB for 1 MB trickled (found by a reviewer, session 25).
  const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  const wire = encodeMessage('mini', { type: 101, body, serial: 1n });
  const options = { header: 'mini', maxBodySize: 70000 } as const;

  it('is held in one buffer once it came in more than MAX_BODY_PIECES pieces, and comes out intact', () => {
    let state = initialMessageFramerState;
    const messages: RawPiecedMessage[] = [];
    let mostHeld = 0;
    for (let at = 0; at < wire.length; at++) {
      const step = messageFramerPiecesStep(options, state, Buffer.from(wire.subarray(at, at + 1)));
      state = step.state;
      messages.push(...step.messages);
      mostHeld = Math.max(mostHeld, piecesHeld(state));
    }
    expect(mostHeld).toBeLessThanOrEqual(MAX_BODY_PIECES);
    expect(joined(messages)).toEqual([{ type: 101, body, size: body.length }]);
    expect(piecesHeld(state)).toBe(0);
  });

  it('is held in one buffer by the one-piece framer too, in chunks of every size', () => {
    for (const size of [1, 2, 3, 7, 64, 4999]) {
      let state = initialMessageFramerState;
      const bodies: Buffer[] = [];
      let mostHeld = 0;
      for (let at = 0; at < wire.length; at += size) {
        const step = messageFramerStep(options, state, Buffer.from(wire.subarray(at, at + size)));
        state = step.state;
        bodies.push(...step.messages.map((message) => message.body));
        mostHeld = Math.max(mostHeld, piecesHeld(state));
      }
      expect(mostHeld).toBeLessThanOrEqual(1);
      expect(bodies).toEqual([body]);
    }
    expect(piecesHeld(initialFramerState())).toBe(0);
  });
});

describe('messageFramerPiecesStep under random chunking', () => {
  it('returns every body whole, in order, in at most MAX_BODY_PIECES non-empty pieces', () => {
    const messageArb = fc.record({
      type: fc.integer({ min: 1, max: 400 }),
      body: fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes)),
    });
    fc.assert(
      fc.property(
        fc.array(messageArb, { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 80 }),
        (input, cuts) => {
          const wire = Buffer.concat(input.map((message) => encodeMessage('mini', message)));
          const messages = frameAll(splitAt(wire, cuts));
          expect(joined(messages)).toEqual(
            input.map(({ type, body }) => ({ type, body, size: body.length })),
          );
          for (const message of messages) {
            expect(message.pieces.length).toBeLessThanOrEqual(MAX_BODY_PIECES);
            expect(message.pieces.every((piece) => piece.length > 0)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('decodeServerMessagePieces', () => {
  const pieces = [Buffer.from('mux '), Buffer.from('bytes')];

  it('keeps device data in its pieces', () => {
    const message = decodeServerMessagePieces(ChannelType.WEBDAV, SpicevmcServerMsg.DATA, pieces, 9);
    expect(message).toEqual({ kind: 'vmc-data', pieces, bytes: 9 });
    if (message.kind !== 'vmc-data') throw new Error('not device data');
    expect(message.pieces[0]).toBe(pieces[0]);
  });

  it('joins any other message before decoding it', () => {
    const ping = Buffer.alloc(12 + 100);
    ping.writeUInt32LE(7, 0);
    ping.writeBigUInt64LE(99n, 4);
    const cut = [ping.subarray(0, 3), ping.subarray(3, 9), ping.subarray(9)];
    expect(decodeServerMessagePieces(ChannelType.WEBDAV, 4, cut, ping.length)).toEqual({
      kind: 'ping',
      id: 7,
      timestamp: 99n,
      size: 112,
    });
  });
});
