import fc from 'fast-check';
import { MUX_HEADER_SIZE, MUX_MAX_PAYLOAD } from '../../../src/wire/constants';
import {
  MAX_PAYLOAD_PIECES,
  clientIdFromBigInt,
  demuxPiecesStep,
  encodeMuxFrame,
  initialMuxDemuxState,
  isMidMuxFrame,
  muxBytesHeld,
  type MuxDemuxState,
  type MuxPiecedFrame,
} from '../../../src/wire/mux-frame';
import { isViewOfSome, muxFrameArb, ownMemory, splitAt } from './wire-spec-helpers';

/** Feeds chunks in order and collects every frame, checking the demuxer's byte budget after every step. */
function demuxAll(chunks: readonly Buffer[]): { frames: MuxPiecedFrame[]; state: MuxDemuxState } {
  let state = initialMuxDemuxState;
  const frames: MuxPiecedFrame[] = [];
  for (const chunk of chunks) {
    const step = demuxPiecesStep(state, chunk);
    state = step.state;
    frames.push(...step.frames);
    expect(muxBytesHeld(state)).toBeLessThanOrEqual(MUX_MAX_PAYLOAD + MUX_HEADER_SIZE);
  }
  return { frames, state };
}

const joined = (frames: readonly MuxPiecedFrame[]) =>
  frames.map(({ id, pieces, size }) => ({ id, payload: Buffer.concat(pieces), size }));

describe('demuxPiecesStep', () => {
  const a = clientIdFromBigInt(1n);
  const b = clientIdFromBigInt(-7n);
  const payloads = [
    { id: a, payload: Buffer.from('PUT /f HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc') },
    { id: b, payload: Buffer.alloc(0) },
    { id: a, payload: Buffer.from('x') },
  ];
  const expected = payloads.map(({ id, payload }) => ({ id, payload, size: payload.length }));
  const stream = Buffer.concat(payloads.map(({ id, payload }) => encodeMuxFrame(id, payload)));

  it('passes a payload split at any position on as views of both chunks', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const chunks = ownMemory([stream.subarray(0, cut), stream.subarray(cut)]);
      const { frames, state } = demuxAll(chunks);
      expect(joined(frames)).toEqual(expected);
      expect(isMidMuxFrame(state)).toBe(false);
      for (const piece of frames.flatMap((frame) => frame.pieces)) {
        expect(isViewOfSome(piece, chunks)).toBe(true);
      }
    }
  });

  it('passes full frames that span SPICE messages on uncopied, as spice-server cuts them', () => {
    // spice-server reads the device in chunks of 64 KiB + 32: 65,545-byte frames never line up with them.
    const big = Array.from({ length: 8 }, (_, i) => Buffer.alloc(MUX_MAX_PAYLOAD, i + 1));
    const wire = Buffer.concat(big.map((payload) => encodeMuxFrame(a, payload)));
    const messageBody = 64 * 1024 + 32;
    const cuts = Array.from({ length: Math.ceil(wire.length / messageBody) }, (_, i) => i * messageBody);
    const chunks = ownMemory(splitAt(wire, cuts));
    const { frames } = demuxAll(chunks);
    expect(joined(frames)).toEqual(big.map((payload) => ({ id: a, payload, size: payload.length })));
    for (const frame of frames) {
      expect(frame.pieces.length).toBeLessThanOrEqual(2);
      for (const piece of frame.pieces) expect(isViewOfSome(piece, chunks)).toBe(true);
    }
    expect(frames.some((frame) => frame.pieces.length === 2)).toBe(true);
  });

  it('joins a payload that came in more than MAX_PAYLOAD_PIECES pieces (a guest writing byte by byte)', () => {
    const chunks = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
    const { frames } = demuxAll(chunks);
    expect(joined(frames)).toEqual(expected);
    expect(frames[0]?.pieces).toHaveLength(1);
    expect(frames[2]?.pieces).toHaveLength(1);
  });

  it('keeps at most MAX_PAYLOAD_PIECES pieces, in order, under random chunking', () => {
    fc.assert(
      fc.property(
        fc.array(muxFrameArb, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (input, cuts) => {
          const wire = Buffer.concat(input.map((frame) => encodeMuxFrame(frame.id, frame.payload)));
          const { frames, state } = demuxAll(splitAt(wire, cuts));
          expect(joined(frames)).toEqual(
            input.map(({ id, payload }) => ({ id, payload, size: payload.length })),
          );
          expect(isMidMuxFrame(state)).toBe(false);
          for (const frame of frames) {
            expect(frame.pieces.length).toBeLessThanOrEqual(MAX_PAYLOAD_PIECES);
            expect(frame.pieces.every((piece) => piece.length > 0)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is pure: an old state can be stepped again with the same result', () => {
    const first = demuxPiecesStep(initialMuxDemuxState, stream.subarray(0, 30));
    const again1 = demuxPiecesStep(first.state, stream.subarray(30));
    const again2 = demuxPiecesStep(first.state, stream.subarray(30));
    expect(again1).toEqual(again2);
    expect(joined(again1.frames)).toEqual(expected);
  });
});
