// Property specs: decoders fed arbitrary bytes fail only with WireError (or a documented LinkError), and
// encoders round-trip through their decoders. Runs are bounded to keep the unit suite fast.

import fc from 'fast-check';
import { capsToWords } from '../../../src/wire/caps';
import {
  BaseServerMsg,
  ChannelType,
  MainServerMsg,
  PortServerMsg,
  SpicevmcServerMsg,
} from '../../../src/wire/constants';
import { decodeDataHeader, encodeMessage, type HeaderKind } from '../../../src/wire/data-header';
import { LinkError, WireError } from '../../../src/wire/errors';
import {
  LINK_HEADER_SIZE,
  decodeLinkHeader,
  decodeLinkMessage,
  decodeLinkReply,
  decodeLinkResult,
  encodeLinkMessage,
  encodeLinkReply,
  selectAuthMechanism,
} from '../../../src/wire/link';
import { decodeLz4Block } from '../../../src/wire/lz4-block';
import {
  initialMessageFramerState,
  isMidMessage,
  messageFramerStep,
  type RawMessage,
} from '../../../src/wire/message-framer';
import { decodeServerMessage } from '../../../src/wire/messages/server-message';
import {
  clientIdFromBigInt,
  demuxStep,
  encodeMuxFrame,
  initialMuxDemuxState,
  type MuxFrame,
} from '../../../src/wire/mux-frame';
import { encryptTicket } from '../../../src/wire/ticket';
import { splitAt } from './wire-spec-helpers';

const runs = { numRuns: 300 };

const bytes = (maxLength = 300): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ maxLength }).map((array) => Buffer.from(array));

/** Runs `action`, letting only WireError escape silently. */
function onlyWireErrors(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
  }
}

const knownMessageTypes = [
  ...Object.values(BaseServerMsg),
  ...Object.values(MainServerMsg),
  ...Object.values(SpicevmcServerMsg),
  ...Object.values(PortServerMsg),
];

describe('decoders on arbitrary bytes throw only WireError', () => {
  it('decodeLinkHeader', () => {
    fc.assert(
      fc.property(bytes(24), (input) => onlyWireErrors(() => decodeLinkHeader(input))),
      runs,
    );
  });

  it('decodeLinkReply (random bodies and random caps counts/offsets after a valid prefix)', () => {
    fc.assert(
      fc.property(bytes(400), (input) => onlyWireErrors(() => decodeLinkReply(input))),
      runs,
    );
    fc.assert(
      fc.property(
        fc.nat({ max: 2000 }),
        fc.nat({ max: 2000 }),
        fc.nat({ max: 400 }),
        fc.nat({ max: 100 }),
        (common, channel, offset, extraWords) => {
          const body = Buffer.alloc(178 + 4 * extraWords);
          body.writeUInt32LE(common, 166);
          body.writeUInt32LE(channel, 170);
          body.writeUInt32LE(offset, 174);
          onlyWireErrors(() => decodeLinkReply(body));
        },
      ),
      runs,
    );
  });

  it('decodeLinkMessage and decodeLinkResult', () => {
    fc.assert(
      fc.property(bytes(100), (input) => {
        onlyWireErrors(() => decodeLinkMessage(input));
        onlyWireErrors(() => decodeLinkResult(input));
      }),
      runs,
    );
  });

  it('decodeDataHeader, both kinds', () => {
    fc.assert(
      fc.property(fc.constantFrom<HeaderKind>('mini', 'full'), bytes(24), (kind, input) =>
        onlyWireErrors(() => decodeDataHeader(kind, input)),
      ),
      runs,
    );
  });

  it('decodeServerMessage for every channel type and message number', () => {
    const channelType = fc.oneof(fc.constantFrom(...Object.values(ChannelType)), fc.nat({ max: 255 }));
    const messageType = fc.oneof(fc.constantFrom(...knownMessageTypes), fc.nat({ max: 0xffff }));
    fc.assert(
      fc.property(channelType, messageType, bytes(120), (channel, type, body) =>
        onlyWireErrors(() => decodeServerMessage(channel, type, body)),
      ),
      { numRuns: 500 },
    );
  });

  it('decodeServerMessage on every known (channel, type) pair, including empty bodies', () => {
    fc.assert(
      fc.property(bytes(40), (body) => {
        for (const channel of Object.values(ChannelType)) {
          for (const type of knownMessageTypes) {
            onlyWireErrors(() => decodeServerMessage(channel, type, body));
          }
        }
      }),
      { numRuns: 50 },
    );
  });

  it('decodeLz4Block', () => {
    fc.assert(
      fc.property(bytes(200), fc.nat({ max: 3000 }), fc.nat({ max: 3000 }), (input, expected, max) =>
        onlyWireErrors(() => decodeLz4Block(input, expected, max)),
      ),
      { numRuns: 500 },
    );
  });

  it('demuxStep under any chunking', () => {
    fc.assert(
      fc.property(fc.array(bytes(64), { maxLength: 10 }), (chunks) => {
        let state = initialMuxDemuxState;
        for (const chunk of chunks) state = demuxStep(state, chunk).state;
      }),
      runs,
    );
  });

  it('messageFramerStep', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<HeaderKind>('mini', 'full'),
        fc.array(bytes(64), { maxLength: 10 }),
        (kind, chunks) =>
          onlyWireErrors(() => {
            let state = initialMessageFramerState;
            for (const chunk of chunks)
              state = messageFramerStep({ header: kind, maxBodySize: 100 }, state, chunk).state;
          }),
      ),
      runs,
    );
  });

  it('encryptTicket with an arbitrary key', () => {
    fc.assert(
      fc.property(bytes(200), fc.string({ maxLength: 20 }), (key, password) =>
        onlyWireErrors(() => encryptTicket(key, password)),
      ),
      { numRuns: 200 },
    );
  });

  it('selectAuthMechanism answers spice or throws a LinkError', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 3 }), (words) => {
        try {
          expect(selectAuthMechanism(words)).toBe('spice');
        } catch (error) {
          expect(error).toBeInstanceOf(LinkError);
        }
      }),
      runs,
    );
  });
});

describe('round trips', () => {
  const capBits = fc.array(fc.nat({ max: 100 }), { maxLength: 6 });

  it('link message', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 255 }),
        fc.nat({ max: 255 }),
        capBits,
        capBits,
        (connectionId, channelType, channelId, commonCaps, channelCaps) => {
          const wire = encodeLinkMessage({ connectionId, channelType, channelId, commonCaps, channelCaps });
          const header = decodeLinkHeader(wire.subarray(0, LINK_HEADER_SIZE));
          expect(header).toEqual({ major: 2, minor: 2, size: wire.length - LINK_HEADER_SIZE });
          expect(decodeLinkMessage(wire.subarray(LINK_HEADER_SIZE))).toEqual({
            connectionId,
            channelType,
            channelId,
            commonCaps: capsToWords(commonCaps),
            channelCaps: capsToWords(channelCaps),
          });
        },
      ),
      runs,
    );
  });

  it('link reply', () => {
    const words = fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 4 });
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 162, maxLength: 162 }).map((key) => Buffer.from(key)),
        words,
        words,
        (publicKey, commonCaps, channelCaps) => {
          const wire = encodeLinkReply({ error: 0, publicKey, commonCaps, channelCaps });
          expect(decodeLinkReply(wire.subarray(LINK_HEADER_SIZE))).toEqual({
            error: 0,
            publicKey,
            commonCaps,
            channelCaps,
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('data messages through the framer under random chunking', () => {
    const message = fc.record({ type: fc.nat({ max: 0xffff }), body: bytes(80) });
    fc.assert(
      fc.property(
        fc.constantFrom<HeaderKind>('mini', 'full'),
        fc.array(message, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (kind, messages: RawMessage[], cuts) => {
          const wire = Buffer.concat(
            messages.map((m, i) => encodeMessage(kind, { ...m, serial: BigInt(i + 1) })),
          );
          let state = initialMessageFramerState;
          const decoded: RawMessage[] = [];
          for (const chunk of splitAt(wire, cuts)) {
            const step = messageFramerStep({ header: kind, maxBodySize: 80 }, state, chunk);
            state = step.state;
            decoded.push(...step.messages);
          }
          expect(decoded).toEqual(messages);
          expect(isMidMessage(state)).toBe(false);
        },
      ),
      runs,
    );
  });

  it('mux frames under random chunking', () => {
    const frame = fc.record({
      id: fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }).map(clientIdFromBigInt),
      payload: bytes(200),
    });
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames: MuxFrame[], cuts) => {
          const wire = Buffer.concat(frames.map((f) => encodeMuxFrame(f.id, f.payload)));
          let state = initialMuxDemuxState;
          const decoded: MuxFrame[] = [];
          for (const chunk of splitAt(wire, cuts)) {
            const step = demuxStep(state, chunk);
            state = step.state;
            decoded.push(...step.frames);
          }
          expect(decoded).toEqual(frames);
        },
      ),
      runs,
    );
  });
});
